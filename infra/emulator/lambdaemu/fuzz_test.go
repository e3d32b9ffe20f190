package lambdaemu

import (
	"testing"
	"time"

	"github.com/selfguard/selfguard/infra/emulator/awsproto"
)

// FuzzVerify feeds arbitrary bytes, and signed zips with bytes flipped, to
// the signature check: it must never panic, and must call nothing valid
// that differs from what was signed.
func FuzzVerify(f *testing.F) {
	s := New(awsproto.NewEnv("111122223333", "eu-west-1"))
	if _, err := s.AddProfile("fuzz", time.Hour); err != nil {
		f.Fatal(err)
	}
	signed, _, err := s.Sign("fuzz", ZipOf(map[string]string{"bootstrap": "hello", "lib/a.txt": "a"}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed, uint(0), byte(0))
	f.Add([]byte("PK\x05\x06"), uint(3), byte(1))
	f.Add(ZipOf(map[string]string{SignatureEntry: `{"format":"selfguard-signature/v1"}`}), uint(1), byte(2))
	f.Fuzz(func(t *testing.T, data []byte, at uint, flip byte) {
		now := s.env.Clock.Now()
		start := time.Now()
		_ = s.verify(data, now)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("verify took %v", d)
		}
		if len(signed) == 0 || flip == 0 {
			return
		}
		mutated := append([]byte(nil), signed...)
		mutated[at%uint(len(mutated))] ^= flip
		c := s.verify(mutated, now)
		if c.Verdict != sigValid {
			return
		}
		// A flip that still verifies may only touch bytes outside the
		// signed content (zip metadata), never the files.
		orig, _ := readZip(signed)
		got, err := readZip(mutated)
		if err != nil || contentDigest(orig) != contentDigest(got) {
			t.Fatalf("mutated zip verified as valid with different content")
		}
	})
}
