package api

import (
	"net/http"

	"github.com/weftworks/weft/step"
)

// stepView is a catalog entry: the spec plus the JSON Schema of its with:.
type stepView struct {
	step.Spec
	Schema map[string]any `json:"schema"`
}

func (s *server) listSteps(w http.ResponseWriter, r *http.Request) {
	specs := s.reg.Specs()
	items := make([]stepView, len(specs))
	for i, sp := range specs {
		items[i] = stepView{Spec: sp, Schema: sp.JSONSchema()}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
}
