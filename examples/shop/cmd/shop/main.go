// Command shop runs the example integrator (examples/shop) against a kycd:
//
//	KYCD_URL=http://localhost:8080 KYCD_API_KEY_FILE=key.txt KYCD_WEBHOOK_SECRET_FILE=whsec.txt \
//	SHOP_ADDR=127.0.0.1:8090 go run ./examples/shop/cmd/shop
//
// The key must be an integrator's with the shop's origin in its
// embed_origins; the webhook (created by a kycd admin) points at
// <shop>/webhooks/kycd.
package main

import (
	"cmp"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/kycd/kycd/examples/shop"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	addr := cmp.Or(os.Getenv("SHOP_ADDR"), "127.0.0.1:8090")
	s, err := shop.New(shop.Config{KycdURL: cmp.Or(os.Getenv("KYCD_URL"), "http://localhost:8080"),
		APIKey: secret("KYCD_API_KEY"), WebhookSecret: secret("KYCD_WEBHOOK_SECRET"),
		PublicURL: cmp.Or(os.Getenv("SHOP_PUBLIC_URL"), "http://"+addr), Logger: log})
	if err != nil {
		log.Error("shop", "err", err)
		os.Exit(1)
	}
	log.Info("shop serving", "addr", addr)
	if err := http.ListenAndServe(addr, s.Handler()); err != nil {
		log.Error("shop", "err", err)
		os.Exit(1)
	}
}

// secret reads NAME_FILE (preferred) or NAME.
func secret(name string) string {
	if f := os.Getenv(name + "_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			slog.Error("read "+name+"_FILE", "err", err)
			os.Exit(1)
		}
		return strings.TrimSpace(string(b))
	}
	return os.Getenv(name)
}
