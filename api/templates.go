package api

import (
	"net/http"

	"github.com/weftworks/weft/examples"
)

// listTemplates answers the example workflows shipped in the binary, for
// the console's template gallery.
func (s *server) listTemplates(w http.ResponseWriter, r *http.Request) {
	tpls, err := examples.Templates()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(tpls, ""))
}
