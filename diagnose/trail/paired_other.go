//go:build !linux

package trail

import (
	"context"
	"errors"
	"time"
)

// Paired needs the CPU time of one thread, which only Linux gives here.
func Paired(context.Context, []string, Options) (scan, drain time.Duration, err error) {
	return 0, 0, errors.New("the paired measurement needs Linux (CLOCK_THREAD_CPUTIME_ID)")
}
