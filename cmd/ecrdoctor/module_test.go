package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// `go install github.com/ecrdoctor/ecrdoctor/cmd/ecrdoctor@latest` fetches
// the module as a zip, and the Go tools refuse to make or unpack one holding
// a file name they consider unportable (golang.org/x/mod/module.CheckFilePath):
// one file named "sha256:…" made the whole module uninstallable. Windows
// checkouts fail on the same names.
func TestEveryFileNameIsPortable(t *testing.T) {
	root := filepath.Join("..", "..")
	lower := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." {
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return fs.SkipDir
		}
		rel = filepath.ToSlash(rel)
		if prev, ok := lower[strings.ToLower(rel)]; ok {
			t.Errorf("%s and %s differ only in case", prev, rel)
		}
		lower[strings.ToLower(rel)] = rel
		if msg := portableName(d.Name()); msg != "" {
			t.Errorf("%s: %s", rel, msg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the walk did not start at the module root: %v", err)
	}
}

// portableName says what is wrong with one path element, following the
// rules of golang.org/x/mod/module for file paths.
func portableName(elem string) string {
	if strings.Trim(elem, ".") == "" {
		return "a name of dots only"
	}
	if strings.HasSuffix(elem, ".") {
		return "a trailing dot"
	}
	for _, r := range elem {
		if r < 0x80 {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&()+,-.=@[]^_{}~ ", r)) {
				return "the character " + string(r) + " is not allowed in a Go module or on Windows"
			}
		} else if !unicode.IsLetter(r) {
			return "a non-letter non-ASCII character"
		}
	}
	short, _, _ := strings.Cut(elem, ".")
	for _, bad := range []string{"CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"} {
		if strings.EqualFold(short, bad) {
			return short + " is a reserved name on Windows"
		}
	}
	return ""
}

func TestPortableNameCatchesTheDigestColon(t *testing.T) {
	for name, bad := range map[string]bool{"sha256:2eac.json": true, "sha256@2eac.json": false, "aux.json": true, "x.": true, "my-repo": false, "a|b": true} {
		if got := portableName(name) != ""; got != bad {
			t.Errorf("portableName(%q) reports a problem: %v, want %v", name, got, bad)
		}
	}
}
