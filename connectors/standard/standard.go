package standard

import (
	"github.com/weftworks/weft/connectors/core"
	"github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/step"
)

// Register adds every built-in step type to reg.
func Register(reg *step.Registry) error {
	for _, register := range []func(*step.Registry) error{
		core.Register,
		http.Register,
	} {
		if err := register(reg); err != nil {
			return err
		}
	}
	return nil
}
