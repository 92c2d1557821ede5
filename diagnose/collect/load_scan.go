package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// ScanLoadOptions tune LoadScanDir.
type ScanLoadOptions struct {
	LoadOptions
	// Accounts keep only the source registries of these accounts
	// (`scan --accounts`); each must be in the folder.
	Accounts []string
	// RepoPrefix is the user's --repo-prefix.
	RepoPrefix string
	// Regions keep only the source registries in these regions (`scan
	// --region A,B`), as LoadOptions.SourceRegion does for one.
	Regions []string
}

// LoadScanDir reads a snapshot folder for a scan: every source registry it
// holds, and the CloudTrail events of all their repositories. It returns
// the snapshot and what to scan.
//
// The sources are snapshot.json's "sources" (a capture by `snapshot --all`),
// else its "source" (a capture for one repository, which is then the only
// repository scanned, with a warning), else every registry whose
// describe-registry.json has replication rules (a hand-made snapshot);
// opts.Accounts, opts.Regions and opts.SourceRegion narrow them. A --repo-prefix outside
// the prefix the folder was captured with is an error: those repositories
// were not read.
func LoadScanDir(ctx context.Context, dir string, opts ScanLoadOptions) (*diagnose.Snapshot, diagnose.ScanOptions, error) {
	var scan diagnose.ScanOptions
	l, manifest, err := openDir(ctx, dir, opts.LoadOptions)
	if err != nil {
		return nil, scan, err
	}
	scan.RepoPrefix = opts.RepoPrefix
	var sources []diagnose.Location
	switch {
	case manifest != nil && len(manifest.Sources) > 0:
		for _, s := range manifest.Sources {
			sources = append(sources, diagnose.Location{Account: s.Account, Region: s.Region})
		}
		if p := manifest.RepoPrefix; p != "" {
			switch {
			case opts.RepoPrefix == "":
				scan.RepoPrefix = p
			case !strings.HasPrefix(opts.RepoPrefix, p):
				return nil, scan, fmt.Errorf("%s was captured with --repo-prefix %q: it holds nothing about repositories starting with %q; capture again with that prefix (ecrdoctor snapshot --all --repo-prefix %s)",
					dir, p, opts.RepoPrefix, opts.RepoPrefix)
			}
		}
	case manifest != nil && manifest.Source.Account != "" && manifest.Source.Region != "":
		sources = []diagnose.Location{{Account: manifest.Source.Account, Region: manifest.Source.Region}}
		if manifest.Repository != "" {
			scan.Repository = manifest.Repository
			l.warnf("%s: captured for repository %q only: the other repositories of %s were not read and are not checked (capture a whole registry with `ecrdoctor snapshot --all`)",
				l.path(ManifestFile), manifest.Repository, sources[0])
		}
	default:
		sources = diagnose.ScanSources(l.snap)
	}
	if opts.SourceRegion != "" {
		opts.Regions = append(slices.Clone(opts.Regions), opts.SourceRegion)
	}
	var kept []diagnose.Location
	for _, s := range sources {
		if len(opts.Accounts) > 0 && !slices.Contains(opts.Accounts, s.Account) || len(opts.Regions) > 0 && !slices.Contains(opts.Regions, s.Region) {
			continue
		}
		if l.snap.Registry(s) == nil {
			l.warnf("%s: source registry %s: not collected", RegistryDir(l.dir, s.Account, s.Region), s)
		}
		kept = append(kept, s)
	}
	for _, a := range opts.Accounts {
		if !slices.ContainsFunc(kept, func(s diagnose.Location) bool { return s.Account == a }) {
			return nil, scan, kindErrorf(ErrSourceUnknown, "--accounts: %s has no source registry of account %s (its sources: %s)", dir, a, joinLocs(sources))
		}
	}
	if len(kept) == 0 {
		if len(sources) == 0 {
			return nil, scan, fmt.Errorf("%s: no registry with replication rules: nothing to scan (it holds %s)", dir, l.collected())
		}
		return nil, scan, kindErrorf(ErrSourceUnknown, "--region %s: %s has no source registry in that region (its sources: %s)", strings.Join(opts.Regions, ","), dir, joinLocs(sources))
	}
	l.scan, scan.Sources = kept, kept
	if err := l.finish(manifest, opts.LoadOptions); err != nil {
		return nil, scan, err
	}
	return l.snap, scan, nil
}
