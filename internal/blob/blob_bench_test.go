package blob_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/testenv"
)

// BenchmarkPutGet writes and reads back a 1 MiB sealed object (a phone photo
// of an ID) on each backend.
func BenchmarkPutGet(b *testing.B) {
	ctx := context.Background()
	k, _ := seal.ParseKey(seal.GenerateKeyText())
	urls := map[string]string{"disk": "file://" + b.TempDir(), "s3": testenv.S3URL(b)}
	data := make([]byte, 1<<20)
	for _, name := range []string{"disk", "s3"} {
		s, err := blob.Open(ctx, urls[name], seal.NewKeyring(k))
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		b.Run(name+"/put", func(b *testing.B) {
			testenv.Measure(b, func() {
				i++
				if err := s.Put(ctx, fmt.Sprintf("bench/%d.jpg", i), data); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(name+"/get", func(b *testing.B) {
			testenv.Measure(b, func() {
				if _, err := s.Get(ctx, "bench/1.jpg"); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
