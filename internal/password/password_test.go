package password

import (
	"strings"
	"testing"
)

var fast = Params{MemoryKiB: 1024, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h := Hash("correct horse battery", fast)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("Hash() = %q", h)
	}
	if ok, rehash := Verify("correct horse battery", h, fast); !ok || rehash {
		t.Errorf("Verify(right) = %v, %v", ok, rehash)
	}
	if ok, _ := Verify("correct horse batterY", h, fast); ok {
		t.Error("Verify(wrong) = true")
	}
	if ok, rehash := Verify("correct horse battery", h, Params{MemoryKiB: 2048, Time: 1, Threads: 1}); !ok || !rehash {
		t.Errorf("Verify with new params = %v, %v; want true, true", ok, rehash)
	}
	if a, b := Hash("x", fast), Hash("x", fast); a == b {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA"} {
		if ok, _ := Verify("x", bad, fast); ok {
			t.Errorf("Verify(%q) = true", bad)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := Policy{MinLength: 8, RejectCommon: true}
	tests := []struct {
		pw   string
		want string
	}{
		{"short", "at least 8"},
		{"password", "most common"},
		{"Password123", "most common"},
		{"qwertyuiop", "most common"},
		{"12345678", "most common"},
		{"summer2024", "most common"},
		{"tr0ub4dor&3-staple", ""},
		{"ünïcödé-pässwörd", ""},
	}
	for _, tt := range tests {
		err := p.Check(tt.pw)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Check(%q) = %v, want %q", tt.pw, err, tt.want)
		}
	}
	if len(strings.Split(commonText, "\n")) < 2000 {
		t.Errorf("the common-password list has only %d entries", len(strings.Split(commonText, "\n")))
	}
}
