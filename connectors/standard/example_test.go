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
	// Output: [ai.agent ai.chat ai.classify ai.embed ai.extract approval email.send event.emit fail graphql.query http.request jq queue.publish respond soap.call sql.exec sql.query transform wait webhook.send workflow.call]
}

func ExampleGenerateDocs() {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		panic(err)
	}
	files := standard.GenerateDocs(reg)
	fmt.Println(len(files), "files; index:", standard.IndexFile)
	// Output: 22 files; index: README.md
}
