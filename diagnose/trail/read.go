package trail

import (
	"context"
	"errors"
	"io"
)

// Read scans paths (files of any supported shape, folders recursively, "-"
// for stdin) and returns the events opts asks for.
func Read(ctx context.Context, paths []string, stdin io.Reader, opts Options) (*Result, error) {
	return nil, errors.New("trail.Read: not implemented yet")
}

// ParseDenial takes an AccessDenied message apart. ok is false when the
// message is not an authorization failure it recognises.
func ParseDenial(message string) (*Denial, bool) {
	return nil, false
}
