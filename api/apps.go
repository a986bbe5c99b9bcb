package api

import (
	"net/http"

	"github.com/weftworks/weft/connectors/apps"
)

// appView is an app connector as the console shows it: what the palette
// groups operations under, and the credential kinds (with pre-filled
// fields) the credentials page offers.
type appView struct {
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Icon        string      `json:"icon"`
	Docs        string      `json:"docs,omitempty"`
	BaseURL     string      `json:"base_url"`
	Auth        []apps.Auth `json:"auth"`
	Limits      apps.Limits `json:"limits"`
	Retry       apps.Retry  `json:"retry"`
	// Operations are the step types, `<name>.<id>`.
	Operations []string `json:"operations"`
}

// listApps answers the app connectors shipped in the binary.
func (s *server) listApps(w http.ResponseWriter, r *http.Request) {
	list, err := apps.Bundled()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	out := make([]appView, 0, len(list))
	for _, a := range list {
		v := appView{Name: a.Name, Title: a.Title, Description: a.Description, Icon: a.Icon, Docs: a.Docs,
			BaseURL: a.BaseURL, Auth: a.Auth, Limits: a.Limits, Retry: a.Retry}
		for _, op := range a.Operations {
			v.Operations = append(v.Operations, a.Name+"."+op.ID)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
}
