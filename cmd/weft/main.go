// Command weft is the Weft server and command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/weftworks/weft/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
