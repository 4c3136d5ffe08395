package argon2

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	upstream "golang.org/x/crypto/argon2"
)

// The Argon2id vectors of golang.org/x/crypto/argon2's tests, generated
// with the reference implementation's CLI (password "password", salt
// "somesalt").
var vectors = []struct {
	time, memory uint32
	threads      uint8
	hash         string
}{
	{1, 64, 1, "655ad15eac652dc59f7170a7332bf49b8469be1fdb9c28bb"},
	{2, 64, 1, "068d62b26455936aa6ebe60060b0a65870dbfa3ddf8d41f7"},
	{2, 64, 2, "350ac37222f436ccb5c0972f1ebd3bf6b958bf2071841362"},
	{3, 256, 2, "4668d30ac4187e6878eedeacf0fd83c5a0a30db2cc16ef0b"},
	{4, 4096, 4, "145db9733a9f4ee43edf33c509be96b934d505a4efb33c5a"},
	{4, 1024, 8, "8dafa8e004f8ea96bf7c0f93eecf67a6047476143d15577f"},
	{2, 64, 3, "4a15b31aec7c2590b87d1f520be7d96f56658172deaa3079"},
	{3, 1024, 6, "1640b932f4b60e272f5d2207b9a9c626ffa1bd88d2349016"},
}

// TestVectors runs every vector on a fresh Memory and then again, in
// reverse order, on one Memory that every earlier run has dirtied.
func TestVectors(t *testing.T) {
	password, salt := []byte("password"), []byte("somesalt")
	check := func(t *testing.T, m *Memory, i int) {
		v := vectors[i]
		want, err := hex.DecodeString(v.hash)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.IDKey(password, salt, v.time, v.memory, v.threads, uint32(len(want))); !bytes.Equal(got, want) {
			t.Errorf("vector %d (t=%d m=%d p=%d): got %x, want %x", i, v.time, v.memory, v.threads, got, want)
		}
	}
	t.Run("fresh", func(t *testing.T) {
		for i := range vectors {
			check(t, new(Memory), i)
		}
	})
	t.Run("reused", func(t *testing.T) {
		var m Memory
		for i := range vectors {
			check(t, &m, i)
		}
		for i := len(vectors) - 1; i >= 0; i-- {
			check(t, &m, i)
		}
	})
}

// TestRFC9106 is the Argon2id test vector of RFC 9106, section 5.3, which
// also uses a secret and associated data.
func TestRFC9106(t *testing.T) {
	want, _ := hex.DecodeString("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
	var m Memory
	for range 2 {
		got := m.deriveKey(argon2id, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16),
			bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
		if !bytes.Equal(got, want) {
			t.Fatalf("got %x, want %x", got, want)
		}
	}
}

// TestMatchesUpstream compares keys with golang.org/x/crypto/argon2 for
// random passwords and salts while one Memory shrinks and grows between
// parameter sets, the OWASP parameters among them.
func TestMatchesUpstream(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	params := []struct {
		time, memory uint32
		threads      uint8
	}{{2, 19 * 1024, 1}, {1, 8, 1}, {3, 4096, 4}, {2, 19 * 1024, 1}, {1, 1000, 3}, {2, 19 * 1024, 1}}
	var m Memory
	for i, p := range params {
		password := make([]byte, r.IntN(64))
		salt := make([]byte, 8+r.IntN(24))
		for j := range password {
			password[j] = byte(r.Uint32())
		}
		for j := range salt {
			salt[j] = byte(r.Uint32())
		}
		keyLen := uint32(4 + r.IntN(64))
		t.Run(fmt.Sprintf("%d/t=%d,m=%d,p=%d", i, p.time, p.memory, p.threads), func(t *testing.T) {
			want := upstream.IDKey(password, salt, p.time, p.memory, p.threads, keyLen)
			if got := m.IDKey(password, salt, p.time, p.memory, p.threads, keyLen); !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
}

// BenchmarkIDKey compares one OWASP-parameter derivation on a reused
// Memory with upstream's, which allocates and zeroes 19 MiB each time.
func BenchmarkIDKey(b *testing.B) {
	password, salt := []byte("a long password"), []byte("0123456789abcdef")
	b.Run("reused", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var m Memory
			for pb.Next() {
				m.IDKey(password, salt, 2, 19*1024, 1, 32)
			}
		})
	})
	b.Run("upstream", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				upstream.IDKey(password, salt, 2, 19*1024, 1, 32)
			}
		})
	})
}
