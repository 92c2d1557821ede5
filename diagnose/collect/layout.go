// Package collect fills a diagnose.Snapshot: from a snapshot folder on disk,
// or live from AWS by capturing the same folder. It is the only package that
// imports the AWS SDK.
package collect

import (
	"path/filepath"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// The snapshot folder layout (an interface: users build these folders with
// the AWS CLI, and `ecrdoctor snapshot` writes them). Each file holds exactly
// what the AWS CLI prints with --output json for that call, made with the
// credentials of <account> in <region>; an AWS error is stored as
// <name>.error.json holding {"Error":{"Code":"...","Message":"..."}} (or the
// CLI's error line). A repository or tag whose own name ends in ".error"
// has its output in a file named like that: the loader tells the two apart
// by content. No file at all means "not collected".
//
//	DIR/snapshot.json
//	DIR/<account>/<region>/describe-registry.json
//	DIR/<account>/<region>/get-registry-policy.json
//	DIR/<account>/<region>/describe-repositories.json
//	DIR/<account>/<region>/get-repository-policy/<repo>.json       ('/' in a repo name nests folders)
//	DIR/<account>/<region>/get-account-setting.json
//	DIR/<account>/<region>/describe-image-replication-status/<repo>/<tag-or-digest>.json  (a digest as sha256@<hex>)
//	DIR/<account>/<region>/lookup-events*.json
//	DIR/<account>/<region>/describe-pull-through-cache-rules.json  (layout_ptc.go)
//	DIR/<account>/<region>/get-region-opt-status.json              (layout_ptc.go)
//	DIR/cloudtrail/**                                             (trail log files, .json or .json.gz)
const (
	ManifestFile             = "snapshot.json"
	DescribeRegistryFile     = "describe-registry"
	GetRegistryPolicyFile    = "get-registry-policy"
	DescribeRepositoriesFile = "describe-repositories"
	GetRepositoryPolicyDir   = "get-repository-policy"
	GetAccountSettingFile    = "get-account-setting"
	ReplicationStatusDir     = "describe-image-replication-status"
	LookupEventsPrefix       = "lookup-events"
	CloudTrailDir            = "cloudtrail"
	// ExpectFile is a fixture's expected diagnosis (fixtures/<name>/):
	// for tests, never read as a snapshot, and not reported as skipped.
	ExpectFile  = "expect.json"
	errorSuffix = ".error.json"
	jsonSuffix  = ".json"
)

// Manifest is DIR/snapshot.json.
type Manifest struct {
	Source struct {
		Account string `json:"account"`
		Region  string `json:"region"`
	} `json:"source,omitzero"` // absent in a whole-registry capture
	Repository string `json:"repository,omitempty"`
	// Sources are the source registries of a whole-registry capture
	// (`snapshot --all`, read by `scan`), which has no Repository.
	Sources []ManifestLocation `json:"sources,omitempty"`
	// RepoPrefix is that capture's --repo-prefix: only repositories
	// starting with it were read.
	RepoPrefix string `json:"repo_prefix,omitempty"`
	CapturedAt string `json:"captured_at"` // RFC 3339
	// Warnings are what the capture could not read and why (optional).
	Warnings []string `json:"warnings,omitempty"`
	// CredentialFailures are the destination accounts whose credentials,
	// given for the capture, did not work (optional).
	CredentialFailures []CredentialFailure `json:"credential_failures,omitempty"`
	// NotRead are the reads the capture left out on purpose (optional).
	NotRead []NotRead `json:"not_read,omitempty"`
}

// NotRead is, in snapshot.json, a read the capture did not make because
// the reads it did make show that no check could use its answer; Why says
// which. A diagnosis of the folder is the same as with the read made
// (TestSkippedReadsChangeNoDiagnosis), so the loader only checks the
// entry: a file for the call, added later, is read as any other.
type NotRead struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Call is the read's name in the layout: "describe-repositories",
	// "get-repository-policy/team/app".
	Call string `json:"call"`
	Why  string `json:"why"`
}

// ManifestLocation is one registry in snapshot.json.
type ManifestLocation struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

// CredentialFailure is, in snapshot.json, credentials given for a
// destination account that did not work.
type CredentialFailure struct {
	Account string `json:"account"`
	// Given names them as the user did ("--assume-role ARN",
	// "--dest-profile ACCOUNT=PROFILE").
	Given string `json:"given"`
	// Reason is why they did not work.
	Reason string `json:"reason"`
}

// Call is one AWS read as the snapshot folder stores it: made with the
// credentials of Account in Region, under its layout Name (the path below
// <account>/<region>/ without .json: "get-registry-policy",
// "get-repository-policy/team/app", "lookup-events-2"). It is the one
// description of the layout both ways: Call.File and Call.ErrorFile give
// the paths, parseCall the call of a path.
type Call struct {
	Account, Region string
	Name            string
}

// File is the path of the call's output in the snapshot folder dir.
func (c Call) File(dir string) string {
	return filepath.Join(RegistryDir(dir, c.Account, c.Region), filepath.FromSlash(c.Name)+jsonSuffix)
}

// ErrorFile is the path of the call's stored AWS error in dir.
func (c Call) ErrorFile(dir string) string {
	return filepath.Join(RegistryDir(dir, c.Account, c.Region), filepath.FromSlash(c.Name)+errorSuffix)
}

// Source is the call as a source of evidence, read from file (none
// for a live run, whose files are temporary).
func (c Call) Source(file string) diagnose.Source {
	parts := strings.Split(c.Name, "/")
	service, call := "ecr", parts[0]
	switch {
	case strings.HasPrefix(call, LookupEventsPrefix):
		service, call = "cloudtrail", "lookup-events"
	case call == RegionOptStatusFile:
		service = "account"
	case call == KeyPolicyDir:
		service = "kms"
	}
	if len(parts) > 1 {
		call += " " + strings.Join(parts[1:], "/")
	}
	return diagnose.Source{Call: service + " " + call, Account: c.Account, Region: c.Region, File: file}
}

// String names the AWS call: "aws ecr get-repository-policy team/app
// (222222222222, ap-northeast-1)". A live run names its reads so, since its
// files are temporary.
func (c Call) String() string { return c.Source("").String() }

// parseCall is the call a file below a registry folder holds: rel is its
// path relative to DIR/<account>/<region>/, with '/'. failed is true for a
// stored error (<name>.error.json); ok is false for files that are no call
// of the layout. A name ending in ".error" is ambiguous (see the top of
// this file): the loader settles it by content.
func parseCall(account, region, rel string) (c Call, failed, ok bool) {
	name, failed, ok := callName(rel)
	return Call{Account: account, Region: region, Name: name}, failed, ok
}

// callName maps a file path relative to a registry folder to its call name
// (the layout name without .json or .error.json). ok is false for files
// ecrdoctor does not read.
func callName(rel string) (name string, failed, ok bool) {
	switch {
	case strings.HasSuffix(rel, errorSuffix):
		name, failed = strings.TrimSuffix(rel, errorSuffix), true
	case strings.HasSuffix(rel, jsonSuffix):
		name = strings.TrimSuffix(rel, jsonSuffix)
	default:
		return "", false, false
	}
	if !knownCall(name) {
		return "", false, false
	}
	return name, failed, true
}

// knownCall reports whether name is a call of the layout.
func knownCall(name string) bool {
	switch {
	case name == DescribeRegistryFile, name == GetRegistryPolicyFile, name == DescribeRepositoriesFile, name == GetAccountSettingFile:
		return true
	case strings.HasPrefix(name, LookupEventsPrefix) && !strings.Contains(name, "/"):
		return true
	case isBackfillCall(name), isImagesCall(name), name == TemplatesFile, name == PullThroughCacheFile, name == RegionOptStatusFile, isLifecycleCall(name), isKeyPolicyCall(name), isIndexCall(name):
		return true
	case strings.HasPrefix(name, GetRepositoryPolicyDir+"/"):
		return awsid.IsRepositoryName(strings.TrimPrefix(name, GetRepositoryPolicyDir+"/"))
	case strings.HasPrefix(name, ReplicationStatusDir+"/"):
		repo, image, found := cutLastSep(strings.TrimPrefix(name, ReplicationStatusDir+"/"), "/")
		img := imageFromFileName(image)
		return found && awsid.IsRepositoryName(repo) && (awsid.IsImageTag(img) || awsid.IsImageDigest(img))
	}
	return false
}

// RegistryDir is the folder of one (account, region).
func RegistryDir(dir, account, region string) string {
	return filepath.Join(dir, account, region)
}

// CallFile is the path of a call's output (<name>.json); ErrorFile of its
// stored AWS error (<name>.error.json). name may contain '/' (repository
// names nest folders).
func CallFile(dir, account, region, name string) string {
	return Call{Account: account, Region: region, Name: name}.File(dir)
}

// ErrorFile is the path of a call's stored AWS error.
func ErrorFile(dir, account, region, name string) string {
	return Call{Account: account, Region: region, Name: name}.ErrorFile(dir)
}

// RepositoryPolicyName is the call name for a repository's policy.
func RepositoryPolicyName(repo string) string { return GetRepositoryPolicyDir + "/" + repo }

// ReplicationStatusName is the call name for an image's replication status:
// its tag, or its digest with '@' for the ':' ("sha256@9c1e...").  A ':'
// cannot be in a file name on Windows nor in a Go module (the module could
// not be installed with go install), and no tag contains '@', so the file
// name always tells a digest from a tag.
func ReplicationStatusName(repo, tagOrDigest string) string {
	return ReplicationStatusDir + "/" + repo + "/" + imageFileName(tagOrDigest)
}

func imageFileName(tagOrDigest string) string {
	return strings.NewReplacer(":", "@", "/", "_").Replace(tagOrDigest)
}

// imageFromFileName is the tag or digest a replication status file is named
// for. Snapshots made before digests were written with '@' still load: their
// ':' is kept.
func imageFromFileName(name string) string {
	return strings.Replace(name, "@", ":", 1)
}
