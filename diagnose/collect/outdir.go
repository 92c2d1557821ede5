package collect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// ErrOutNotEmpty is wrapped by OpenOut's error for a folder holding a
// snapshot when replacing it was not asked for.
var ErrOutNotEmpty = errors.New("snapshot folder not empty")

// ErrOutNotSnapshot is wrapped by OpenOut's error for a non-empty folder
// that holds no snapshot: ecrdoctor never writes into, nor deletes, a
// folder it did not write.
var ErrOutNotSnapshot = errors.New("folder is not an ecrdoctor snapshot")

// Out is a snapshot folder being written: the capture goes to Dir, a
// staging folder, and Commit puts it in place of the target. Until Commit
// the target is untouched, so an interrupted or failed capture leaves an
// earlier snapshot as it was.
//
// A new target is staged beside it, in its parent, and renamed into place.
// An existing one (empty, or an earlier snapshot being replaced) is staged
// inside itself: a rename there never crosses a file system, so a mount
// point works; Commit then swaps only what a capture writes (snapshot.json
// and the <account>/ folders) and keeps every other file.
type Out struct {
	target, stage string
	exists        bool
}

// OpenOut checks the target folder and creates the staging folder.
// replace allows replacing an earlier snapshot (--force).
func OpenOut(target string, replace bool) (*Out, error) {
	target = filepath.Clean(target)
	info, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(target)
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, err
		}
		stage, err := os.MkdirTemp(parent, ".ecrdoctor-snapshot-")
		if err != nil {
			return nil, err
		}
		return &Out{target: target, stage: stage}, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, kindErrorf(ErrOutNotSnapshot, "a file, not a folder")
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return nil, err
	}
	if len(entries) > 0 {
		if !IsSnapshot(target) {
			return nil, kindErrorf(ErrOutNotSnapshot, "not empty and holds no ecrdoctor snapshot (no readable %s)", ManifestFile)
		}
		if !replace {
			return nil, kindErrorf(ErrOutNotEmpty, "holds a snapshot")
		}
	}
	stage, err := os.MkdirTemp(target, ".ecrdoctor-snapshot-")
	if err != nil {
		return nil, err
	}
	return &Out{target: target, stage: stage, exists: true}, nil
}

// IsSnapshot reports whether dir holds a snapshot written by ecrdoctor (or
// by hand in its layout): a snapshot.json naming its source registry.
func IsSnapshot(dir string) bool {
	p := filepath.Join(dir, ManifestFile)
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() || info.Size() > maxManifestSize {
		return false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	var m Manifest
	return decodeObject(b, &m) == nil && awsid.IsAccountID(m.Source.Account) && awsid.IsRegion(m.Source.Region)
}

// maxManifestSize bounds snapshot.json: it holds a few names and warnings.
const maxManifestSize = 1 << 20

// Dir is the folder to capture into.
func (o *Out) Dir() string { return o.stage }

// Abort removes the staging folder, leaving the target as it was.
func (o *Out) Abort() { os.RemoveAll(o.stage) }

// Commit puts the captured snapshot in place of the target.
func (o *Out) Commit() error {
	if !o.exists {
		return os.Rename(o.stage, o.target)
	}
	// What the earlier capture wrote moves aside first, so that if a rename
	// fails it is put back and the earlier snapshot stays whole.
	old, err := os.MkdirTemp(o.target, ".ecrdoctor-old-")
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(o.target)
	if err != nil {
		return err
	}
	var moved []string
	undo := func(err error) error {
		for _, name := range moved {
			_ = os.Rename(filepath.Join(old, name), filepath.Join(o.target, name))
		}
		_ = os.Remove(old)
		return err
	}
	for _, e := range entries {
		if name := e.Name(); written(name) {
			if err := os.Rename(filepath.Join(o.target, name), filepath.Join(old, name)); err != nil {
				return undo(err)
			}
			moved = append(moved, name)
		}
	}
	staged, err := os.ReadDir(o.stage)
	if err != nil {
		return undo(err)
	}
	var placed []string
	for _, e := range staged {
		if err := os.Rename(filepath.Join(o.stage, e.Name()), filepath.Join(o.target, e.Name())); err != nil {
			for _, name := range placed {
				_ = os.Rename(filepath.Join(o.target, name), filepath.Join(o.stage, name))
			}
			return undo(err)
		}
		placed = append(placed, e.Name())
	}
	_ = os.Remove(o.stage)
	return os.RemoveAll(old)
}

// written reports whether a top-level entry of a snapshot folder is one a
// capture writes: the manifest and the <account>/ folders.
func written(name string) bool {
	return name == ManifestFile || awsid.IsAccountID(name)
}
