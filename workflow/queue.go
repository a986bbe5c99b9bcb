package workflow

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// decodeQueues reads `on.queue`: one binding (a mapping) or a list of them.
// Each problem is reported at the node of the key it names.
func (d *decoder) decodeQueues(n *yaml.Node) []weft.QueueTrigger {
	n = resolve(n)
	items := []*yaml.Node{n}
	list := false
	switch n.Kind {
	case yaml.SequenceNode:
		items, list = n.Content, true
	case yaml.MappingNode:
	default:
		d.errorf(n, "on.queue must be a mapping like {broker: rabbitmq, connection: orders-broker, queue: orders} or a list of them, not %s", describe(n))
		return nil
	}
	var out []weft.QueueTrigger
	for i, e := range items {
		e = resolve(e)
		where := "on.queue"
		if list {
			where = fmt.Sprintf("on.queue[%d]", i)
		}
		if e.Kind != yaml.MappingNode {
			d.errorf(e, "%s must be a mapping like {broker: rabbitmq, connection: orders-broker, queue: orders}, not %s", where, describe(e))
			continue
		}
		g, ok := d.generic(e, where)
		if !ok {
			continue
		}
		m, _ := g.(map[string]any)
		t, errs := spec.Parse(m)
		if len(errs) > 0 {
			for _, pe := range errs {
				at := e
				msg := where + "." + pe.Key + ": " + pe.Message
				if hint := didYouMean(pe.Key, pe.Choices); pe.AtKey && hint != "" {
					msg = where + "." + pe.Key + ": is not a key of a " + t.Broker + " binding" + hint
				}
				for j := 0; j+1 < len(e.Content); j += 2 {
					if e.Content[j].Value == pe.Key {
						at = e.Content[j+1]
						if pe.AtKey {
							at = e.Content[j]
						}
					}
				}
				d.errorf(at, "%s", msg)
			}
			continue
		}
		out = append(out, t)
	}
	return out
}
