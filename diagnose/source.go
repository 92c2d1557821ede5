package diagnose

import (
	"fmt"
	"strconv"
)

// Source is where a read or a piece of evidence came from: the AWS call
// and registry it answers, and the file it was read from (none for a live
// run, whose files are temporary), or, for CloudTrail, a name of its own.
type Source struct {
	// Call is the AWS CLI form of the call, without "aws" and the
	// registry: "ecr get-repository-policy team/app".
	Call            string
	Account, Region string
	// File is the path the read came from (a snapshot file, a Terraform
	// file); Line its line (0: none).
	File string
	Line int
	// Name is a source that is neither: a CloudTrail record as the
	// event reader names it ("events.json#3"), or "CloudTrail".
	Name string
}

// String prints the source as the outputs show it: the file
// ("snap/1111/us-east-1/get-registry-policy.json", "main.tf:12"), else the
// call ("aws ecr get-registry-policy (111111111111, us-east-1)"), else the
// name.
func (s Source) String() string {
	switch {
	case s.File != "" && s.Line > 0:
		return s.File + ":" + strconv.Itoa(s.Line)
	case s.File != "":
		return s.File
	case s.Call != "":
		return fmt.Sprintf("aws %s (%s, %s)", s.Call, s.Account, s.Region)
	}
	return s.Name
}

// IsZero reports whether the source is unknown.
func (s Source) IsZero() bool { return s == Source{} }

// MarshalText writes the source as String does, so JSON keeps
// "source": "..." as a string.
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a source printed by MarshalText. The printed form
// does not say which kind it was, so it is kept as a Name.
func (s *Source) UnmarshalText(b []byte) error {
	*s = Source{Name: string(b)}
	return nil
}
