package standard_test

import (
	"fmt"
	"sort"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
)

func ExampleRegister() {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		panic(err)
	}
	var builtin []string
	for _, s := range reg.Specs() {
		if s.Category != step.CategoryApps { // app connectors: connectors/apps
			builtin = append(builtin, s.Type)
		}
	}
	sort.Strings(builtin)
	fmt.Println(builtin)
	// Output: [ai.agent ai.chat ai.classify ai.embed ai.extract approval event.emit fail graphql.query http.request jq mcp.call queue.publish respond soap.call sql.exec sql.query transform wait webhook.send workflow.call]
}

func ExampleGenerateDocs() {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		panic(err)
	}
	files := standard.GenerateDocs(reg)
	_, slack := files["slack.post_message.md"]
	fmt.Println(len(files) == len(reg.Types())+1, "index:", standard.IndexFile, "slack:", slack)
	// Output: true index: README.md slack: true
}
