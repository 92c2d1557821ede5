package collect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// The manifest, snapshot.json: the question a snapshot answers (source,
// repository, capture time) and what its capture could not, or did not, read.

func (l *loader) readManifest() (*Manifest, error) {
	p := l.path(ManifestFile)
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if !l.inside(p) {
		return nil, nil // warned: read as if absent
	}
	b, err := readSnapshotFile(p)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := decodeObject(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if m.Source.Account != "" && !awsid.IsAccountID(m.Source.Account) {
		return nil, fmt.Errorf("%s: source.account %q is not a 12-digit AWS account ID", p, m.Source.Account)
	}
	if m.Source.Region != "" && !awsid.IsRegion(m.Source.Region) {
		return nil, fmt.Errorf("%s: source.region %q is not an AWS region name", p, m.Source.Region)
	}
	if m.Repository != "" && !awsid.IsRepositoryName(m.Repository) {
		return nil, fmt.Errorf("%s: repository %q is not an ECR repository name", p, m.Repository)
	}
	for i, src := range m.Sources {
		if !awsid.IsAccountID(src.Account) {
			return nil, fmt.Errorf("%s: sources[%d].account %q is not a 12-digit AWS account ID", p, i, src.Account)
		}
		if !awsid.IsRegion(src.Region) {
			return nil, fmt.Errorf("%s: sources[%d].region %q is not an AWS region name", p, i, src.Region)
		}
	}
	if m.Repository != "" && len(m.Sources) > 0 {
		return nil, fmt.Errorf("%s: has both repository (a capture for one repository) and sources (a capture of whole registries): keep one", p)
	}
	if m.RepoPrefix != "" && !awsid.IsRepositoryFilter(m.RepoPrefix) {
		return nil, fmt.Errorf("%s: repo_prefix %q is not a repository name prefix", p, m.RepoPrefix)
	}
	for i, cf := range m.CredentialFailures {
		if !awsid.IsAccountID(cf.Account) {
			return nil, fmt.Errorf("%s: credential_failures[%d].account %q is not a 12-digit AWS account ID", p, i, cf.Account)
		}
	}
	for i, nr := range m.NotRead {
		field := fmt.Sprintf("%s: not_read[%d]", p, i)
		switch {
		case !awsid.IsAccountID(nr.Account):
			return nil, fmt.Errorf("%s.account %q is not a 12-digit AWS account ID", field, nr.Account)
		case !awsid.IsRegion(nr.Region):
			return nil, fmt.Errorf("%s.region %q is not an AWS region name", field, nr.Region)
		case !knownCall(nr.Call):
			return nil, fmt.Errorf("%s.call %q is not a read of the snapshot layout (e.g. describe-repositories, get-repository-policy/my-repo)", field, nr.Call)
		case nr.Why == "":
			return nil, fmt.Errorf("%s.why is empty: say why %s was not read", field, nr.Call)
		}
	}
	if m.CapturedAt != "" {
		if _, err := time.Parse(time.RFC3339, m.CapturedAt); err != nil {
			return nil, fmt.Errorf("%s: captured_at %q is not an RFC 3339 time (e.g. 2026-11-26T10:00:00Z)", p, m.CapturedAt)
		}
	}
	return &m, nil
}

// setRepository decides the repository; see LoadDir.
func (l *loader) setRepository(m *Manifest, opts LoadOptions) error {
	manifestRepo := ""
	if m != nil {
		manifestRepo = m.Repository
	}
	switch {
	case opts.Repository == "":
		l.snap.Repository = manifestRepo
	case manifestRepo == "" || manifestRepo == opts.Repository:
		l.snap.Repository = opts.Repository
	case l.holdsRepository(opts.Repository):
		l.snap.Repository = opts.Repository
		l.warnf("%s: captured for repository %q; answering for %q from the files the snapshot holds for it",
			l.path(ManifestFile), manifestRepo, opts.Repository)
	default:
		return kindErrorf(ErrRepositoryMismatch, "%s was captured for repository %q, not %q: it holds no repository policy or replication status for %q, so it cannot answer for it; run with --repo %s, or capture a snapshot for %s",
			l.dir, manifestRepo, opts.Repository, opts.Repository, manifestRepo, opts.Repository)
	}
	return nil
}

// holdsRepository reports whether any registry has repo's own files.
func (l *loader) holdsRepository(repo string) bool {
	for _, reg := range l.snap.Registries {
		if _, ok := reg.RepositoryPolicies[repo]; ok {
			return true
		}
		if len(reg.ReplicationStatus[repo]) > 0 {
			return true
		}
	}
	return false
}

func (l *loader) setCapturedAt(m *Manifest, opts LoadOptions) error {
	switch {
	case m != nil && m.CapturedAt != "":
		t, err := time.Parse(time.RFC3339, m.CapturedAt)
		if err != nil { // readManifest checked it
			return fmt.Errorf("%s: captured_at: %w", l.path(ManifestFile), err)
		}
		l.snap.CapturedAt = t.UTC()
	case !l.newest.IsZero():
		l.snap.CapturedAt = l.newest.UTC().Truncate(time.Second)
	default:
		l.snap.CapturedAt = opts.Now.UTC()
	}
	return nil
}
