package seal

import (
	"fmt"
	"testing"
)

func BenchmarkSealOpen(b *testing.B) {
	k, _ := ParseKey(GenerateKeyText())
	kr := NewKeyring(k)
	for _, size := range []int{64 << 10, 1 << 20, 5 << 20} {
		msg := make([]byte, size)
		aad := []byte("ver_x/front.jpg")
		b.Run(fmt.Sprintf("seal/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				kr.Seal(msg, aad)
			}
		})
		sealed, _ := kr.Seal(msg, aad)
		b.Run(fmt.Sprintf("open/%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kr.Open(sealed, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
