// Command kycd is the self-hosted identity verification server.
package main

import (
	"context"
	"os"

	"github.com/kycd/kycd/internal/app"
)

func main() {
	os.Exit(app.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
