package standard_test

import (
	"fmt"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
)

func ExampleRegister() {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		panic(err)
	}
	fmt.Println(reg.Types())
	// Output: [ai.agent ai.chat ai.classify ai.embed ai.extract approval event.emit fail http.request jq mcp.call queue.publish respond sql.exec sql.query transform wait webhook.send workflow.call]
}

func ExampleGenerateDocs() {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		panic(err)
	}
	files := standard.GenerateDocs(reg)
	fmt.Println(len(files), "files; index:", standard.IndexFile)
	// Output: 20 files; index: README.md
}
