package apps

import (
	"fmt"

	"github.com/weftworks/weft/step"
)

// Catalog holds the loaded apps, for the apps API and the console.
type Catalog struct {
	apps []App
}

// Apps returns the apps, by name.
func (c *Catalog) Apps() []App { return c.apps }

// Lookup returns an app by name.
func (c *Catalog) Lookup(name string) (*App, bool) {
	for i := range c.apps {
		if c.apps[i].Name == name {
			return &c.apps[i], true
		}
	}
	return nil, false
}

// Register adds every bundled app's operations to reg as step types
// `<app>.<operation>`. http.request must already be registered: every call
// goes through it.
func Register(reg *step.Registry) error {
	list, err := Bundled()
	if err != nil {
		return fmt.Errorf("loading bundled app connectors: %w", err)
	}
	_, err = RegisterApps(reg, list)
	return err
}

// prepared are the operations whose body needs Go, by step type.
var prepared = map[string]Prepare{
	"gmail.send_message":  gmailMessage,
	"google_drive.upload": driveUpload,
}

// RegisterApps adds the operations of apps to reg and returns their catalog.
func RegisterApps(reg *step.Registry, list []App) (*Catalog, error) {
	h, ok := reg.Lookup("http.request")
	if !ok {
		return nil, fmt.Errorf("registering app connectors: http.request is not registered; register it first")
	}
	for i := range list {
		a := &list[i]
		test := a.testOperation()
		spec := a.StepSpec(test)
		if err := reg.Add(spec, &operation{app: a, op: test, spec: spec, http: h.Handler}); err != nil {
			return nil, fmt.Errorf("registering app %s: %w", a.Name, err)
		}
		for j := range a.Operations {
			op := &a.Operations[j]
			spec := a.StepSpec(op)
			if err := reg.Add(spec, &operation{app: a, op: op, spec: spec, http: h.Handler, prepare: prepared[spec.Type]}); err != nil {
				return nil, fmt.Errorf("registering app %s: %w", a.Name, err)
			}
		}
	}
	return &Catalog{apps: list}, nil
}
