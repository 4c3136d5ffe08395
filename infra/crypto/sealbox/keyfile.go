package sealbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// LoadOrCreateKeyFile returns the key stored in the file at path, creating
// the file with a new random KeySize-byte key (mode 0600) when it does not
// exist. The key is created once: a file that exists is never rewritten,
// and one of the wrong size is refused rather than replaced, since a new
// key would make every sealed secret unreadable.
//
// Two processes creating the key at the same time do not both win: the
// file is created exclusively, and the loser reads the winner's key.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sealbox: generate key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("sealbox: create key file: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("sealbox: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("sealbox: sync key file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("sealbox: close key file: %w", err)
	}
	return key, nil
}

// readKeyFile reads a key file; errors wrap fs.ErrNotExist when there is
// none.
func readKeyFile(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sealbox: read key file: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealbox: key file %s holds %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}
