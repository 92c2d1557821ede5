package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// LoadOptions tune LoadDir. Every field may be left zero.
type LoadOptions struct {
	// Repository is the repository to diagnose (`--repo`). It overrides the
	// manifest's repository only when the folder holds that repository's own
	// files; see LoadDir.
	Repository string
	// SourceAccount and SourceRegion choose the source registry
	// (`--source-account`, `--region`). They override the manifest and settle
	// the inference of a hand-made snapshot.
	SourceAccount, SourceRegion string
	// Events are extra CloudTrail paths (`--events`), read with the folder's own.
	Events []string
	// Stdin is read for an Events path of "-".
	Stdin io.Reader
	// EventsSince and EventsUntil bound the CloudTrail records read
	// (`--since`, `--until`); zero means unbounded, and Until defaults to
	// the capture time. See eventScope.
	EventsSince, EventsUntil time.Time
	// Trail, when set, is where the CloudTrail evidence comes from instead
	// of the folder's own CloudTrail files and Events: trail files in S3,
	// an Athena table or a CloudTrail Lake event data store. It is asked
	// the question's scope (TrailScope) and must answer it whole: its error
	// is LoadDir's. TrailFrom names it in the report ("Athena table
	// security.trail").
	Trail     func(ctx context.Context, scope trail.Options) (*trail.Result, error)
	TrailFrom string
	// Now is the capture time used only when neither snapshot.json nor any
	// file time gives one.
	Now time.Time
	// Live says the folder is a live run's capture, deleted once read: each
	// read (and each CloudTrail event of a lookup) is named by its AWS call,
	// "aws ecr get-registry-policy (222222222222, ap-northeast-1)", and
	// warnings by the folder's content, not by temporary paths.
	Live bool
}

// ErrSourceUnknown is wrapped by LoadDir's error when a snapshot without
// snapshot.json does not tell which registry is the source: the user must
// pass --source-account and/or --region.
var ErrSourceUnknown = errors.New("source registry unknown")

// ErrRepositoryMismatch is wrapped by LoadDir's error when the snapshot was
// captured for another repository than the one asked about.
var ErrRepositoryMismatch = errors.New("snapshot captured for another repository")

// kindError is a message that also matches one of the sentinels above with
// errors.Is, without the sentinel's text trailing the message.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func kindErrorf(kind error, format string, a ...any) error {
	return &kindError{msg: fmt.Sprintf(format, a...), kind: kind}
}

// LoadDir reads a snapshot folder (the layout is at the top of layout.go)
// into a Snapshot.
//
// The source registry is snapshot.json's, overridden by opts.SourceAccount
// and opts.SourceRegion. Without snapshot.json (a hand-made snapshot) it is
// the one collected (account, region) whose describe-registry.json has
// replication rules; when none or several qualify the error wraps
// ErrSourceUnknown and names the flags to pass.
//
// The repository is opts.Repository, else snapshot.json's. When both are set
// and differ, the snapshot answers for opts.Repository only if it holds that
// repository's own files (a repository policy or a replication status): a
// folder captured for A knows nothing about B's repository policy, and a
// diagnosis of B from it would be a guess. Otherwise the error wraps
// ErrRepositoryMismatch and names both.
//
// Every file under an <account>/<region>/ folder is either read or reported
// in Snapshot.Warnings; malformed input is an error naming the file.
func LoadDir(ctx context.Context, dir string, opts LoadOptions) (*diagnose.Snapshot, error) {
	l, manifest, err := openDir(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	if err := l.setSource(manifest, opts); err != nil {
		return nil, err
	}
	if err := l.setRepository(manifest, opts); err != nil {
		return nil, err
	}
	if err := l.finish(manifest, opts); err != nil {
		return nil, err
	}
	return l.snap, nil
}

// openDir reads the manifest and walks the registries of a snapshot folder.
func openDir(ctx context.Context, dir string, opts LoadOptions) (*loader, *Manifest, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, nil, err
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("%s: not a snapshot folder: it is a file", dir)
	}
	l := &loader{ctx: ctx, dir: dir, live: opts.Live, eventSources: map[string]diagnose.Source{}, snap: &diagnose.Snapshot{Registries: map[diagnose.Location]*diagnose.Registry{}}}
	manifest, err := l.readManifest()
	if err != nil {
		return nil, nil, err
	}
	if err := l.walk(); err != nil {
		return nil, nil, err
	}
	if manifest == nil && len(l.snap.Registries) == 0 {
		return nil, nil, fmt.Errorf("%s: not a snapshot folder: no %s and no <account>/<region>/ folders (an account is 12 digits, e.g. 111111111111/ap-northeast-1/)", dir, ManifestFile)
	}
	return l, manifest, nil
}

// finish sets the capture time, takes the manifest's warnings and reads the
// CloudTrail events, once the question (source, repository) is settled.
func (l *loader) finish(manifest *Manifest, opts LoadOptions) error {
	if err := l.setCapturedAt(manifest, opts); err != nil {
		return err
	}
	if manifest != nil {
		l.snap.Warnings = append(l.snap.Warnings, manifest.Warnings...)
		for _, cf := range manifest.CredentialFailures {
			if l.snap.CredentialFailures == nil {
				l.snap.CredentialFailures = map[string]diagnose.CredentialFailure{}
			}
			l.snap.CredentialFailures[cf.Account] = diagnose.CredentialFailure{Given: cf.Given, Reason: cf.Reason}
		}
	}
	return l.readEvents(opts)
}

// sources are the source registries whose events the question needs.
func (l *loader) sources() []diagnose.Location {
	if l.scan != nil {
		return l.scan
	}
	return []diagnose.Location{l.snap.Source}
}

// loader carries the state of one LoadDir.
type loader struct {
	ctx  context.Context
	dir  string
	snap *diagnose.Snapshot
	// newest is the latest modification time among the files read.
	newest time.Time
	// eventPaths are CloudTrail files and folders found in the snapshot;
	// eventSources the lookup-events files among them, as the AWS calls
	// they hold (trail.Options.Sources): their events and warnings are
	// named so, never by the temporary folder of a live run.
	eventPaths   []string
	eventSources map[string]diagnose.Source
	// live names reads by their AWS calls alone (LoadOptions.Live).
	live bool
	// scan are the source registries of a scan (LoadScanDir), nil for
	// one repository's question.
	scan []diagnose.Location
}

// source names a read held in the file at path: the AWS call and the
// file, or in a live run the call alone.
func (l *loader) source(c Call, path string) diagnose.Source {
	if l.live {
		return c.Source("")
	}
	return c.Source(path)
}

func (l *loader) path(rel string) string { return filepath.Join(l.dir, filepath.FromSlash(rel)) }

func (l *loader) warnf(format string, a ...any) {
	l.snap.Warnings = append(l.snap.Warnings, fmt.Sprintf(format, a...))
}

// touch notes a file's modification time: the newest is the capture time
// of a snapshot without captured_at.
func (l *loader) touch(d fs.DirEntry) {
	info, err := d.Info()
	if err == nil && info.ModTime().After(l.newest) {
		l.newest = info.ModTime()
	}
}

// walk reads the top of the folder: account folders, the cloudtrail folder
// and the manifest; anything else is reported.
func (l *loader) walk() error {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if name != ManifestFile && name != CloudTrailDir && !l.inside(l.path(name)) {
			continue // warned
		}
		switch {
		case name == ManifestFile && !followsToDir(l.path(name), e):
			l.touch(e)
		case name == ExpectFile && !followsToDir(l.path(name), e):
		case name == CloudTrailDir && followsToDir(l.path(name), e):
			if err := l.walkCloudTrail(); err != nil {
				return err
			}
		case awsid.IsAccountID(name) && followsToDir(l.path(name), e):
			if err := l.walkAccount(name); err != nil {
				return err
			}
		default:
			l.warnf("%s: skipped: not a file ecrdoctor reads", l.path(name))
		}
	}
	return nil
}

func (l *loader) walkCloudTrail() error {
	root := l.path(CloudTrailDir)
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !followsToDir(p, d) {
			files++
			l.touch(d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if files == 0 {
		l.warnf("%s: skipped: the folder holds no CloudTrail files", root)
		return nil
	}
	// trail.Read walks folders itself and knows which files it reads.
	l.eventPaths = append(l.eventPaths, root)
	return nil
}

func (l *loader) walkAccount(account string) error {
	entries, err := os.ReadDir(l.path(account))
	if err != nil {
		return err
	}
	for _, e := range entries {
		rel := account + "/" + e.Name()
		if !l.inside(l.path(rel)) {
			continue // warned
		}
		if awsid.IsRegion(e.Name()) && followsToDir(l.path(rel), e) {
			if err := l.walkRegistry(diagnose.Location{Account: account, Region: e.Name()}); err != nil {
				return err
			}
			continue
		}
		l.warnf("%s: skipped: not a file ecrdoctor reads", l.path(rel))
	}
	return nil
}

// callFiles are the two possible files of one call, and how the read is
// named (loader.source).
type callFiles struct {
	call       Call
	ok, failed string
	name       func(path string) diagnose.Source
}

// walkRegistry reads one DIR/<account>/<region>/ folder.
func (l *loader) walkRegistry(loc diagnose.Location) error {
	root := RegistryDir(l.dir, loc.Account, loc.Region)
	calls := map[string]*callFiles{}
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := l.ctx.Err(); err != nil {
			return err
		}
		if p != root && !l.inside(p) {
			return nil // warned
		}
		if followsToDir(p, d) {
			if p != root && strings.HasSuffix(d.Name(), jsonSuffix) {
				l.warnf("%s: skipped: a folder, not the file its name says", p)
				return filepath.SkipDir
			}
			return nil
		}
		if !isRegular(p, d) {
			// A FIFO or device would block or never end.
			l.warnf("%s: skipped: not a regular file", p)
			return nil
		}
		l.touch(d)
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		call, failed, ok := parseCall(loc.Account, loc.Region, rel)
		if !ok {
			if strings.HasSuffix(rel, jsonSuffix) && (strings.HasPrefix(rel, GetRepositoryPolicyDir+"/") || strings.HasPrefix(rel, ReplicationStatusDir+"/") || strings.HasPrefix(rel, LifecyclePolicyDir+"/")) {
				l.warnf("%s: skipped: the repository, tag or digest it is named for is not a name ECR allows", p)
				return nil
			}
			l.warnf("%s: skipped: not a file ecrdoctor reads", p)
			return nil
		}
		if alt := strings.TrimSuffix(rel, jsonSuffix); failed && knownCall(alt) && holdsOutput(p) {
			// The output for a repository or tag whose name ends in
			// ".error" (x.error.json): its content, not an {"Error":...},
			// tells it from the stored error of x.
			call.Name, failed = alt, false
		}
		name := call.Name
		c := calls[name]
		if c == nil {
			c = &callFiles{call: call}
			c.name = func(p string) diagnose.Source { return l.source(call, p) }
			calls[name] = c
			names = append(names, name)
		}
		if failed {
			c.failed = p
		} else {
			c.ok = p
		}
		return nil
	})
	if err != nil {
		return err
	}
	reg := diagnose.NewRegistry(loc)
	sort.Strings(names)
	for _, name := range names {
		if err := l.readCall(reg, name, calls[name]); err != nil {
			return err
		}
	}
	l.snap.Registries[loc] = reg
	return nil
}

// holdsOutput reports whether a file named like a stored error holds a
// call's output instead: a JSON object without an "Error" member.
func holdsOutput(p string) bool {
	b, err := readSnapshotFile(p)
	if err != nil {
		return false
	}
	var raw map[string]json.RawMessage
	return json.Unmarshal(b, &raw) == nil && raw["Error"] == nil
}

func cutLastSep(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+len(sep):], true
}

// readCall decodes one call's file into reg.
func (l *loader) readCall(reg *diagnose.Registry, name string, c *callFiles) error {
	if c.ok != "" && c.failed != "" {
		return fmt.Errorf("%s: both %s and %s exist: keep the one from the latest run", filepath.Dir(c.ok), filepath.Base(c.ok), filepath.Base(c.failed))
	}
	acct := reg.Location.Account
	switch {
	case isBackfillCall(name):
		return readBackfillCall(reg, name, c)
	case isImagesCall(name):
		return readImagesCall(reg, name, c)
	case name == TemplatesFile:
		return readTemplatesCall(reg, c)
	case name == PullThroughCacheFile:
		return readPullThroughCacheCall(reg, c)
	case name == RegionOptStatusFile:
		return readRegionOptStatusCall(reg, c)
	case isLifecycleCall(name):
		return readLifecycleCall(reg, name, c)
	case isKeyPolicyCall(name):
		return readKeyPolicyCall(reg, name, c)
	case name == DescribeRegistryFile:
		r, err := readInto(c, func(v *diagnose.DescribeRegistryOutput, raw map[string]json.RawMessage) error {
			if err := requireFields(raw, "registryId"); err != nil {
				return err
			}
			if err := checkRegistryID("registryId", v.RegistryID, acct); err != nil {
				return err
			}
			return checkRules(v.ReplicationConfiguration)
		})
		reg.DescribeRegistry = r
		return err
	case name == GetRegistryPolicyFile:
		r, err := readInto(c, func(v *diagnose.PolicyOutput, raw map[string]json.RawMessage) error {
			return checkPolicy(v, raw, acct, "")
		})
		reg.RegistryPolicy = r
		return err
	case name == DescribeRepositoriesFile:
		r, err := readInto(c, func(v *diagnose.DescribeRepositoriesOutput, raw map[string]json.RawMessage) error {
			if err := requireFields(raw, "repositories"); err != nil {
				return err
			}
			for i, repo := range v.Repositories {
				if repo.RepositoryName == "" {
					return fmt.Errorf("repositories[%d]: repositoryName is missing", i)
				}
				if !awsid.IsRepositoryName(repo.RepositoryName) {
					return fmt.Errorf("repositories[%d].repositoryName %q is not an ECR repository name", i, repo.RepositoryName)
				}
				if err := checkRegistryID(fmt.Sprintf("repositories[%d].registryId", i), repo.RegistryID, acct); err != nil {
					return err
				}
			}
			return nil
		})
		reg.Repositories = r
		return err
	case name == GetAccountSettingFile:
		r, err := readInto(c, func(v *diagnose.AccountSettingOutput, raw map[string]json.RawMessage) error {
			if err := requireFields(raw, "name", "value"); err != nil {
				return err
			}
			if v.Name != "REGISTRY_POLICY_SCOPE" {
				return fmt.Errorf("name is %q, want \"REGISTRY_POLICY_SCOPE\" (aws ecr get-account-setting --name REGISTRY_POLICY_SCOPE)", v.Name)
			}
			return nil
		})
		reg.PolicyScope = r
		return err
	case name == DeleteEventsName, name == RulePutsName:
		return readTrailCallsCall(reg, name, c)
	case strings.HasPrefix(name, LookupEventsPrefix):
		if c.ok != "" {
			l.eventPaths = append(l.eventPaths, c.ok)
			l.eventSources[c.ok] = c.name(c.ok)
			return nil
		}
		apiErr, err := readAPIError(c.failed)
		if err != nil {
			return err
		}
		l.warnf("%s: CloudTrail lookup failed: %v", c.name(c.failed), apiErr)
		return nil
	case strings.HasPrefix(name, GetRepositoryPolicyDir+"/"):
		repo := strings.TrimPrefix(name, GetRepositoryPolicyDir+"/")
		r, err := readInto(c, func(v *diagnose.PolicyOutput, raw map[string]json.RawMessage) error {
			return checkPolicy(v, raw, acct, repo)
		})
		reg.RepositoryPolicies[repo] = r
		return err
	case strings.HasPrefix(name, ReplicationStatusDir+"/"):
		repo, image, _ := cutLastSep(strings.TrimPrefix(name, ReplicationStatusDir+"/"), "/")
		r, err := readStatus(c, repo)
		if reg.ReplicationStatus[repo] == nil {
			reg.ReplicationStatus[repo] = map[string]diagnose.Read[diagnose.ReplicationStatusOutput]{}
		}
		reg.ReplicationStatus[repo][imageFromFileName(image)] = r
		return err
	case isIndexCall(name):
		return readIndexCall(reg, name, c)
	}
	return fmt.Errorf("internal error: unhandled call %q", name)
}

// readStatus decodes one replication status file of repo.
func readStatus(c *callFiles, repo string) (diagnose.Read[diagnose.ReplicationStatusOutput], error) {
	return readInto(c, func(v *diagnose.ReplicationStatusOutput, raw map[string]json.RawMessage) error {
		if err := requireFields(raw, "repositoryName", "replicationStatuses"); err != nil {
			return err
		}
		if v.RepositoryName != "" && v.RepositoryName != repo {
			return fmt.Errorf("repositoryName is %q but the file is in the folder of repository %q", v.RepositoryName, repo)
		}
		for i, s := range v.ReplicationStatuses {
			if s.Status == "" || s.Region == "" || s.RegistryID == "" {
				return fmt.Errorf("replicationStatuses[%d]: region, registryId and status are all required", i)
			}
			if err := checkLocation(fmt.Sprintf("replicationStatuses[%d]", i), s.RegistryID, s.Region); err != nil {
				return err
			}
		}
		return nil
	})
}

// readInto reads a call's output or its stored error. check validates the
// decoded output; raw holds its top-level fields, to tell a missing field
// from an empty one.
func readInto[T any](c *callFiles, check func(v *T, raw map[string]json.RawMessage) error) (diagnose.Read[T], error) {
	if c.failed != "" {
		apiErr, err := readAPIError(c.failed)
		if err != nil {
			return diagnose.Read[T]{}, err
		}
		return diagnose.Read[T]{State: diagnose.Failed, Err: apiErr, Source: c.name(c.failed)}, nil
	}
	b, err := readSnapshotFile(c.ok)
	if err != nil {
		return diagnose.Read[T]{}, err
	}
	var v T
	if err := decodeObject(b, &v); err != nil {
		return diagnose.Read[T]{}, fmt.Errorf("%s: %w", c.name(c.ok), err)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(b, &raw) // decodeObject proved it is an object
	if err := check(&v, raw); err != nil {
		return diagnose.Read[T]{}, fmt.Errorf("%s: %w", c.name(c.ok), err)
	}
	return diagnose.Read[T]{State: diagnose.Collected, Value: v, Source: c.name(c.ok)}, nil
}

// cliErrorRE matches what the AWS CLI prints on stderr for a failed call,
// so `aws ecr get-registry-policy 2> get-registry-policy.error.json` works.
var cliErrorRE = regexp.MustCompile(`(?s)^An error occurred \(([A-Za-z0-9.]+)\) when calling the [A-Za-z0-9]+ operation(?: \(reached max retries: \d+\))?: (.*)$`)

// readAPIError reads <name>.error.json: {"Error":{"Code":..,"Message":..}},
// or the AWS CLI's own error line.
func readAPIError(p string) (*diagnose.APIError, error) {
	b, err := readSnapshotFile(p)
	if err != nil {
		return nil, err
	}
	if m := cliErrorRE.FindSubmatch(bytes.TrimSpace(b)); m != nil {
		return &diagnose.APIError{Code: string(m[1]), Message: strings.TrimSpace(string(m[2]))}, nil
	}
	var doc struct {
		Error *diagnose.APIError `json:"Error"`
	}
	if err := decodeObject(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if doc.Error == nil {
		return nil, fmt.Errorf(`%s: an error file must hold {"Error":{"Code":"...","Message":"..."}}; Error is missing`, p)
	}
	if doc.Error.Code == "" {
		return nil, fmt.Errorf("%s: Error.Code is missing or empty (e.g. \"RegistryPolicyNotFoundException\")", p)
	}
	return doc.Error, nil
}

// decodeObject decodes a JSON object into v, wording errors for a user who
// has to fix the file by hand.
func decodeObject(b []byte, v any) error {
	trimmed := bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return errors.New("empty file: want the JSON the AWS CLI prints")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := lineCol(b, syn.Offset)
			return fmt.Errorf("invalid JSON at offset %d: %v (line %d, column %d)", syn.Offset, syn, line, col)
		case errors.As(err, &typ):
			field := typ.Field
			if field == "" {
				return fmt.Errorf("want a JSON object, got a JSON %s", typ.Value)
			}
			return fmt.Errorf("%s: want %s, got a JSON %s", field, jsonKindName(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Errorf("invalid content: %v", err)
	}
	if trimmed[0] != '{' {
		return errors.New("want a JSON object")
	}
	return nil
}

// lineCol turns a json.SyntaxError offset (bytes read when the error was
// found) into the 1-based line and column of the offending byte.
func lineCol(b []byte, offset int64) (line, col int) {
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	before := b[:max(offset-1, 0)]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// jsonKindName names a Go kind the way a JSON user thinks of it.
func jsonKindName(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return k
}

// require reports the first of fields absent from raw.
func requireFields(raw map[string]json.RawMessage, fields ...string) error {
	for _, f := range fields {
		if _, ok := raw[f]; !ok {
			return fmt.Errorf("%s is missing: is this the output of the right command?", f)
		}
	}
	return nil
}

// checkRules validates what describe-registry's rules put in the
// diagnosis and in the printed fix commands: destination accounts and
// regions, and filter prefixes, each in the grammar AWS gives them.
func checkRules(rc *diagnose.ReplicationConfiguration) error {
	if rc == nil {
		return nil
	}
	for i, r := range rc.Rules {
		for j, d := range r.Destinations {
			if err := checkLocation(fmt.Sprintf("replicationConfiguration.rules[%d].destinations[%d]", i, j), d.RegistryID, d.Region); err != nil {
				return err
			}
		}
		for j, f := range r.RepositoryFilters {
			if !awsid.IsRepositoryFilter(f.Filter) {
				return fmt.Errorf("replicationConfiguration.rules[%d].repositoryFilters[%d].filter %q is not a filter ECR accepts (a repository name prefix, no wildcards)", i, j, f.Filter)
			}
		}
	}
	return nil
}

// checkLocation validates an account id and region read from a file: both
// end up in printed commands.
func checkLocation(field, account, region string) error {
	if !awsid.IsAccountID(account) {
		return fmt.Errorf("%s.registryId %q is not a 12-digit AWS account ID", field, account)
	}
	if !awsid.IsRegion(region) {
		return fmt.Errorf("%s.region %q is not an AWS region name", field, region)
	}
	return nil
}

func checkRegistryID(field, got, account string) error {
	if got != "" && got != account {
		return fmt.Errorf("%s is %s but the file is in the folder of account %s", field, got, account)
	}
	return nil
}

// checkPolicy validates get-registry-policy (repo == "") and
// get-repository-policy output. policyText must be a string holding a JSON
// object; what the policy means is the diagnosis's business.
func checkPolicy(v *diagnose.PolicyOutput, raw map[string]json.RawMessage, account, repo string) error {
	if err := requireFields(raw, "policyText"); err != nil {
		return err
	}
	if err := checkRegistryID("registryId", v.RegistryID, account); err != nil {
		return err
	}
	if repo != "" && v.RepositoryName != "" && v.RepositoryName != repo {
		return fmt.Errorf("repositoryName is %q but the file is named for repository %q", v.RepositoryName, repo)
	}
	var doc any
	if err := json.Unmarshal([]byte(v.PolicyText), &doc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("policyText is not a JSON policy: invalid JSON at offset %d of the policy: %v", syn.Offset, syn)
		}
		return fmt.Errorf("policyText is not a JSON policy: %v", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return errors.New("policyText is not a JSON policy: want a JSON object")
	}
	return nil
}

// maxSnapshotFile caps every file of a snapshot folder the loader reads
// itself. The largest is a describe-repositories of a whole registry: 10,000
// repositories of about 1 kB. CloudTrail files have trail.Read's own caps.
const maxSnapshotFile = 64 << 20

// readSnapshotFile reads a file of the snapshot: a regular file (a FIFO or
// a device would block or never end) of at most maxSnapshotFile bytes.
func readSnapshotFile(p string) ([]byte, error) {
	// Stat before Open: opening a FIFO blocks until someone writes to it.
	if info, err := os.Stat(p); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s): a snapshot holds only the files the AWS CLI writes", p, fileKind(info.Mode()))
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s): a snapshot holds only the files the AWS CLI writes", p, fileKind(info.Mode()))
	}
	tooBig := fmt.Errorf("%s: larger than the %d MB a snapshot file may hold: is this the output of the right command?", p, maxSnapshotFile>>20)
	if info.Size() > maxSnapshotFile {
		return nil, tooBig
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSnapshotFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSnapshotFile {
		return nil, tooBig // it grew while being read
	}
	return b, nil
}

// fileKind names what a non-regular file is, for a person.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a folder"
	}
	return m.Type().String()
}

// inside reports whether p, once its symbolic links are followed, is still
// in the snapshot folder; a link that leads out of it is skipped with a
// warning (the snapshot would answer with files it does not hold). A link
// that cannot be followed is left to the caller, which reports it.
func (l *loader) inside(p string) bool {
	info, err := os.Lstat(p)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return true
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return true
	}
	root, err := filepath.EvalSymlinks(l.dir)
	if err != nil {
		return true
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		l.warnf("%s: skipped: a symbolic link to %s, outside the snapshot folder", p, real)
		return false
	}
	return true
}

// isRegular reports whether p is a regular file, following a symlink.
func isRegular(p string, d fs.DirEntry) bool {
	if d.Type()&fs.ModeSymlink != 0 {
		info, err := os.Stat(p)
		return err == nil && info.Mode().IsRegular()
	}
	return d.Type().IsRegular()
}

func followsToDir(p string, d fs.DirEntry) bool {
	if d.Type()&fs.ModeSymlink != 0 {
		info, err := os.Stat(p)
		return err == nil && info.IsDir()
	}
	return d.IsDir()
}

// setSource decides the source registry; see LoadDir.
func (l *loader) setSource(m *Manifest, opts LoadOptions) error {
	if opts.SourceAccount != "" && !awsid.IsAccountID(opts.SourceAccount) {
		return fmt.Errorf("source account %q is not a 12-digit AWS account ID", opts.SourceAccount)
	}
	if m != nil && m.Source.Account != "" && m.Source.Region != "" {
		src := diagnose.Location{Account: m.Source.Account, Region: m.Source.Region}
		if opts.SourceAccount != "" {
			src.Account = opts.SourceAccount
		}
		if opts.SourceRegion != "" {
			src.Region = opts.SourceRegion
		}
		manifest := diagnose.Location{Account: m.Source.Account, Region: m.Source.Region}
		if src != manifest && l.snap.Registries[src] == nil {
			return kindErrorf(ErrSourceUnknown, "source %s was not collected in %s (no folder %s); it holds %s",
				src, l.dir, RegistryDir(l.dir, src.Account, src.Region), l.collected())
		}
		if src != manifest && !l.snap.Registries[src].DescribeRegistry.OK() {
			// Most likely a destination of this snapshot: diagnosing it as
			// the source would invent a replication setup.
			return kindErrorf(ErrSourceUnknown, "%s names %s as the source; %s has no readable %s.json, so it cannot be diagnosed as the source (it holds a destination's files)",
				ManifestFile, manifest, src, DescribeRegistryFile)
		}
		if l.snap.Registries[src] == nil {
			l.warnf("%s: source registry %s: not collected", RegistryDir(l.dir, src.Account, src.Region), src)
		}
		l.snap.Source = src
		return nil
	}
	if m != nil && len(m.Sources) > 0 {
		return l.setSourceOf(m, opts)
	}
	var candidates []diagnose.Location
	for _, loc := range diagnose.ScanSources(l.snap) {
		if opts.SourceAccount != "" && loc.Account != opts.SourceAccount || opts.SourceRegion != "" && loc.Region != opts.SourceRegion {
			continue
		}
		candidates = append(candidates, loc)
	}
	switch {
	case len(candidates) == 1:
		l.snap.Source = candidates[0]
		return nil
	case len(candidates) > 1:
		return kindErrorf(ErrSourceUnknown, "%s has no %s and %d registries have replication rules (%s): pass --source-account and --region to choose the source",
			l.dir, ManifestFile, len(candidates), joinLocs(candidates))
	case opts.SourceAccount != "" && opts.SourceRegion != "":
		src := diagnose.Location{Account: opts.SourceAccount, Region: opts.SourceRegion}
		if l.snap.Registries[src] == nil {
			return kindErrorf(ErrSourceUnknown, "source %s was not collected in %s (no folder %s); it holds %s",
				src, l.dir, RegistryDir(l.dir, src.Account, src.Region), l.collected())
		}
		l.snap.Source = src
		return nil
	}
	narrowed, pass := "", "pass --source-account and --region"
	switch {
	case opts.SourceAccount != "":
		narrowed, pass = " in account "+opts.SourceAccount, "check --source-account, or pass both --source-account and --region to name the source"
	case opts.SourceRegion != "":
		narrowed, pass = " in region "+opts.SourceRegion, "check --region, or pass both --source-account and --region to name the source"
	}
	return kindErrorf(ErrSourceUnknown, "%s has no %s and no describe-registry.json%s has replication rules, so the source registry is unknown: %s (it holds %s)",
		l.dir, ManifestFile, narrowed, pass, l.collected())
}

// setSourceOf picks the source of a whole-registry snapshot (snapshot.json
// "sources") for one repository's question: the one --source-account and
// --region name, else the one source whose repositories include it.
func (l *loader) setSourceOf(m *Manifest, opts LoadOptions) error {
	var all, named, holding []diagnose.Location
	for _, s := range m.Sources {
		loc := diagnose.Location{Account: s.Account, Region: s.Region}
		all = append(all, loc)
		if opts.SourceAccount != "" && loc.Account != opts.SourceAccount || opts.SourceRegion != "" && loc.Region != opts.SourceRegion {
			continue
		}
		named = append(named, loc)
		if reg := l.snap.Registry(loc); reg != nil && reg.Repositories.OK() && opts.Repository != "" {
			for _, r := range reg.Repositories.Value.Repositories {
				if r.RepositoryName == opts.Repository {
					holding = append(holding, loc)
					break
				}
			}
		}
	}
	switch {
	case len(named) == 1:
		l.snap.Source = named[0]
		return nil
	case len(named) == 0:
		return kindErrorf(ErrSourceUnknown, "%s is a snapshot of the source registries %s: --source-account and --region name none of them", l.dir, joinLocs(all))
	case len(holding) == 1:
		l.snap.Source = holding[0]
		return nil
	}
	where := fmt.Sprintf("none of them has a repository named %q", opts.Repository)
	if len(holding) > 1 {
		where = fmt.Sprintf("%d of them have a repository named %q (%s)", len(holding), opts.Repository, joinLocs(holding))
	}
	if opts.Repository == "" {
		where = "no repository was named"
	}
	return kindErrorf(ErrSourceUnknown, "%s is a snapshot of the source registries %s and %s: pass --source-account and --region to choose the source",
		l.dir, joinLocs(named), where)
}

func (l *loader) collected() string {
	locs := make([]diagnose.Location, 0, len(l.snap.Registries))
	for loc := range l.snap.Registries {
		locs = append(locs, loc)
	}
	if len(locs) == 0 {
		return "no <account>/<region>/ folders"
	}
	slices.SortFunc(locs, diagnose.Location.Compare)
	return joinLocs(locs)
}

func joinLocs(locs []diagnose.Location) string {
	s := make([]string, len(locs))
	for i, loc := range locs {
		s[i] = loc.String()
	}
	return strings.Join(s, ", ")
}

// checkEvents refuses CloudTrail records whose accounts or regions are not
// AWS's: they would become destinations, and words of printed commands.
func checkEvents(events []trail.Event) error {
	for _, e := range events {
		for _, f := range []struct {
			field, value, want string
			ok                 func(string) bool
		}{
			{"recipientAccountId", e.Account, "a 12-digit AWS account ID", awsid.IsAccountID},
			{"awsRegion", e.Region, "an AWS region name", awsid.IsRegion},
			{"the destination account", e.Destination.Account, "a 12-digit AWS account ID", awsid.IsAccountID},
			{"the destination region", e.Destination.Region, "an AWS region name", awsid.IsRegion},
		} {
			if f.value != "" && !f.ok(f.value) {
				return fmt.Errorf("reading CloudTrail events: %s: %s %q is not %s", e.Source, f.field, f.value, f.want)
			}
		}
	}
	return nil
}

// eventScope is the question of LoadDir's diagnosis: TrailScope of the
// snapshot's repository (every repository for a whole-registry capture).
func eventScope(snap *diagnose.Snapshot, opts LoadOptions, sources []diagnose.Location) trail.Options {
	var repos []string
	if snap.Repository != "" {
		repos = []string{snap.Repository}
	}
	return TrailScope(snap, sources, repos, opts.EventsSince, opts.EventsUntil)
}

// TrailScope is what a diagnosis of repos (none: every repository) in the
// source registries of snap needs from CloudTrail, so that a trail folder
// (an organization bucket) is pruned to it before any file is opened, and
// an Athena or Lake query reads only its partitions: the replication calls
// (successful or not) of those repositories, in the source accounts and
// the destination accounts of the rules covering them, in the source and
// destination regions (replication records land in the source account's
// and the destination account's trails, in the destination region and the
// source region), from since to until. until defaults to the capture time,
// since the policies read are those of that moment. When no rule of a
// source covers the repositories, the destinations of all its rules are
// asked (the records of a rule since changed); a source without rules read
// leaves accounts and regions unnarrowed.
func TrailScope(snap *diagnose.Snapshot, sources []diagnose.Location, repos []string, since, until time.Time) trail.Options {
	o := trail.Options{Filter: trail.FilterAll, Since: since, Until: until}
	if len(repos) == 1 {
		o.Repository = repos[0]
	} else {
		o.Repositories = slices.Clone(repos)
	}
	if o.Until.IsZero() && !snap.CapturedAt.IsZero() {
		o.Until = snap.CapturedAt.Add(time.Minute) // captured_at is to the second
	}
	var accounts, regions []string
	for _, loc := range sources {
		src := snap.Registry(loc)
		if src == nil || src.DescribeRegistry.State != diagnose.Collected || loc.Account == "" {
			return o // a source without rules: do not narrow
		}
		accounts, regions = appendNew(accounts, loc.Account), appendNew(regions, loc.Region)
		for _, r := range rulesCovering(src.DescribeRegistry.Value.ReplicationConfiguration, repos) {
			for _, d := range r.Destinations {
				accounts, regions = appendNew(accounts, d.RegistryID), appendNew(regions, d.Region)
			}
		}
	}
	o.Accounts, o.Regions = accounts, regions
	return o
}

// rulesCovering are the rules of rc whose filters cover one of repos; all
// of them when repos is empty or none does.
func rulesCovering(rc *diagnose.ReplicationConfiguration, repos []string) []diagnose.ReplicationRule {
	if rc == nil {
		return nil
	}
	var out []diagnose.ReplicationRule
	for _, r := range rc.Rules {
		if slices.ContainsFunc(repos, func(repo string) bool { return covers(r, repo) }) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return rc.Rules
	}
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// brokenLookup is the error of a snapshot's own lookup-events file that
// could not be read to its end: a broken snapshot file like any other, not
// CloudTrail "not collected" nor a partial list of denials.
func (l *loader) brokenLookup(res *trail.Result) error {
	for _, p := range l.eventPaths {
		src, lookup := l.eventSources[p]
		if !lookup || !slices.Contains(res.Incomplete, src.String()) {
			continue
		}
		for _, w := range res.Warnings {
			if strings.HasPrefix(w, src.String()+": ") {
				return errors.New(w)
			}
		}
		return fmt.Errorf("%s: could not be read to its end", src)
	}
	return nil
}

// readEvents reads the snapshot's CloudTrail files and opts.Events, or
// asks opts.Trail instead.
func (l *loader) readEvents(opts LoadOptions) error {
	if opts.Trail != nil {
		res, err := opts.Trail(l.ctx, eventScope(l.snap, opts, l.sources()))
		if err != nil {
			return fmt.Errorf("reading CloudTrail from %s: %w", opts.TrailFrom, err)
		}
		if err := checkEvents(res.Events); err != nil {
			return err
		}
		// The engine answered the whole question, even with no row.
		l.snap.EventsCollected = res.Scanned.Files == 0 || res.Scanned.Files > res.Unreadable
		l.snap.Events, l.snap.EventsScanned, l.snap.EventsFrom = res.Events, res.Scanned, opts.TrailFrom
		l.snap.Warnings = append(l.snap.Warnings, res.Warnings...)
		return nil
	}
	paths := append(slices.Clone(l.eventPaths), opts.Events...)
	if len(paths) == 0 {
		return nil
	}
	if slices.Contains(opts.Events, "-") && opts.Stdin == nil {
		return errors.New(`reading CloudTrail events: "-" (stdin) is not available here`)
	}
	scope := eventScope(l.snap, opts, l.sources())
	scope.Sources = l.eventSources
	res, err := trail.Read(l.ctx, paths, opts.Stdin, scope)
	if err != nil {
		return fmt.Errorf("reading CloudTrail events: %w", err)
	}
	if res != nil {
		if err := checkEvents(res.Events); err != nil {
			return err
		}
		if err := l.brokenLookup(res); err != nil {
			return err
		}
	}
	// Collected only if some file could be read: "no events" from
	// garbage would be taken for "none happened".
	l.snap.EventsCollected = res != nil && res.Scanned.Files > res.Unreadable
	if res != nil {
		l.snap.Events = res.Events
		l.snap.EventsScanned = res.Scanned
		l.snap.Warnings = append(l.snap.Warnings, res.Warnings...)
	}
	return nil
}
