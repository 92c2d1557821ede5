package awsid

import "regexp"

// The ECR API reference's grammars for the names ecrdoctor turns into
// file names and pastes into commands.
var (
	// CreateRepository repositoryName: 2-256 characters.
	repositoryNameRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	// RepositoryFilter filter (a name prefix): 2-256 characters.
	repositoryFilterRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$`)
	// An image tag (1-300 characters in ECR) in the OCI distribution
	// grammar ECR enforces on push: no '/', and it cannot start with '.'.
	imageTagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	// An image digest: algorithm ':' hex (OCI image spec), e.g. sha256:9c1e...
	imageDigestRE = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

// IsRepositoryName reports whether s is a name ECR accepts for a
// repository ("team/app"): lower case, '/' only between components, no
// "..", no leading '/'.
func IsRepositoryName(s string) bool {
	return len(s) >= 2 && len(s) <= 256 && repositoryNameRE.MatchString(s)
}

// IsRepositoryFilter reports whether s is a replication rule's filter
// prefix ECR accepts.
func IsRepositoryFilter(s string) bool {
	return len(s) >= 2 && len(s) <= 256 && repositoryFilterRE.MatchString(s)
}

// IsImageTag reports whether s is an image tag ECR accepts.
func IsImageTag(s string) bool { return len(s) <= 300 && imageTagRE.MatchString(s) }

// IsImageDigest reports whether s is an image digest (sha256:<hex>).
func IsImageDigest(s string) bool { return len(s) <= 256 && imageDigestRE.MatchString(s) }
