// Package scangen writes synthetic snapshot folders of whole registries
// for tests and benchmarks of `scan`: many repositories, several
// destinations, and a known mix of root causes. Nothing it writes is
// committed; the folders are made in a test's temporary directory.
package scangen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
)

// Spec describes the registries to generate.
type Spec struct {
	// Sources each get Repos repositories ("team-0000", ...) and one rule
	// (filter "team-") replicating them to every destination.
	Sources []diagnose.Location
	Repos   int
	// Dests are the destinations; for a source of the same account one is
	// a cross-region destination (healthy). For the others, destination i
	// is, by i%3: 0 healthy (a registry policy granting every source), 1 without
	// a registry policy (odd repositories' grants misplaced in their
	// repository policies: GRANT_IN_REPOSITORY_POLICY, the others
	// REGISTRY_POLICY_MISSING), 2 with a grant for the wrong account among
	// Filler unrelated statements (PRINCIPAL_MISMATCH).
	Dests []diagnose.Location
	// Filler is the number of unrelated statements in the registry
	// policies (default 20).
	Filler int
	// CapturedAt is the capture time (default 2026-11-26T10:00:00Z).
	CapturedAt time.Time
}

// Expected says, for a Spec, the verdict of a pair: what the checks must
// find.
func (sp Spec) Expected(src diagnose.Location, repo int, dst diagnose.Location) (diagnose.Verdict, string) {
	if dst.Account == src.Account {
		return diagnose.Healthy, ""
	}
	switch sp.kind(dst) {
	case 0:
		return diagnose.Healthy, ""
	case 1:
		if repo%2 == 1 {
			return diagnose.Failing, diagnose.CodeGrantInRepositoryPolicy
		}
		return diagnose.Failing, diagnose.CodeRegistryPolicyMissing
	}
	return diagnose.Failing, diagnose.CodePrincipalMismatch
}

// kind is the scenario of a destination for the sources of other
// accounts: its index in Dests, modulo 3.
func (sp Spec) kind(dst diagnose.Location) int {
	for i, d := range sp.Dests {
		if d == dst {
			return i % 3
		}
	}
	return 0
}

// RepoName is the name of repository i.
func RepoName(i int) string { return fmt.Sprintf("team-%04d", i) }

// Write generates the snapshot folder in dir (which must exist).
func Write(dir string, sp Spec) error {
	if sp.Filler == 0 {
		sp.Filler = 20
	}
	if sp.CapturedAt.IsZero() {
		sp.CapturedAt = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	}
	w := writer{dir: dir}
	manifest := collect.Manifest{CapturedAt: sp.CapturedAt.Format(time.RFC3339)}
	for _, src := range sp.Sources {
		manifest.Sources = append(manifest.Sources, collect.ManifestLocation{Account: src.Account, Region: src.Region})
	}
	w.json(filepath.Join(dir, collect.ManifestFile), manifest)

	var dests []diagnose.ReplicationDestination
	for _, d := range sp.Dests {
		dests = append(dests, diagnose.ReplicationDestination{Region: d.Region, RegistryID: d.Account})
	}
	for _, src := range sp.Sources {
		w.call(src, collect.DescribeRegistryFile, diagnose.DescribeRegistryOutput{RegistryID: src.Account, ReplicationConfiguration: &diagnose.ReplicationConfiguration{Rules: []diagnose.ReplicationRule{{
			Destinations:      dests,
			RepositoryFilters: []diagnose.RepositoryFilter{{Filter: "team-", FilterType: "PREFIX_MATCH"}},
		}}}})
		w.call(src, collect.DescribeRepositoriesFile, repositories(src, sp.Repos))
		var events []map[string]any
		for i := 0; i < sp.Repos; i++ {
			for _, dst := range sp.Dests {
				if v, _ := sp.Expected(src, i, dst); v == diagnose.Failing {
					events = append(events, denial(src, dst, RepoName(i), sp.CapturedAt.Add(-time.Duration(i+1)*time.Minute)))
				}
			}
		}
		w.call(src, collect.LookupEventsPrefix, map[string]any{"Events": events})
	}
	for _, dst := range sp.Dests {
		w.call(dst, collect.DescribeRepositoriesFile, repositories(dst, sp.Repos))
		w.call(dst, collect.GetAccountSettingFile, diagnose.AccountSettingOutput{Name: "REGISTRY_POLICY_SCOPE", Value: "V2"})
		switch sp.kind(dst) {
		case 0:
			w.call(dst, collect.GetRegistryPolicyFile, diagnose.PolicyOutput{RegistryID: dst.Account, PolicyText: registryPolicy(dst, sp.Sources, sp.Filler, "")})
		case 1:
			w.errorCall(dst, collect.GetRegistryPolicyFile, "RegistryPolicyNotFoundException", fmt.Sprintf("Registry policy does not exist in the registry with id '%s'", dst.Account))
			for i := 0; i < sp.Repos; i++ {
				name := collect.RepositoryPolicyName(RepoName(i))
				if i%2 == 1 {
					w.call(dst, name, diagnose.PolicyOutput{RegistryID: dst.Account, RepositoryName: RepoName(i), PolicyText: repositoryGrant(sp.Sources)})
				} else {
					w.errorCall(dst, name, "RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '"+RepoName(i)+"' in the registry with id '"+dst.Account+"'")
				}
			}
		default:
			w.call(dst, collect.GetRegistryPolicyFile, diagnose.PolicyOutput{RegistryID: dst.Account, PolicyText: registryPolicy(dst, sp.Sources, sp.Filler, "999999999999")})
		}
	}
	return w.err
}

type writer struct {
	dir string
	err error
}

func (w *writer) json(path string, v any) {
	if w.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	w.err = err
}

func (w *writer) call(loc diagnose.Location, name string, v any) {
	w.json(collect.CallFile(w.dir, loc.Account, loc.Region, name), v)
}

func (w *writer) errorCall(loc diagnose.Location, name, code, msg string) {
	w.json(collect.ErrorFile(w.dir, loc.Account, loc.Region, name), map[string]any{"Error": diagnose.APIError{Code: code, Message: msg}})
}

func repositories(loc diagnose.Location, n int) diagnose.DescribeRepositoriesOutput {
	out := diagnose.DescribeRepositoriesOutput{Repositories: []diagnose.Repository{}}
	for i := 0; i < n; i++ {
		name := RepoName(i)
		out.Repositories = append(out.Repositories, diagnose.Repository{
			RepositoryArn:      fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", loc.Region, loc.Account, name),
			RegistryID:         loc.Account,
			RepositoryName:     name,
			ImageTagMutability: "MUTABLE",
		})
	}
	return out
}

// registryPolicy grants every source (or, with wrongAccount, that account
// instead) ecr:ReplicateImage and ecr:CreateRepository, after filler
// statements that grant pulls to other accounts.
func registryPolicy(dst diagnose.Location, srcs []diagnose.Location, filler int, wrongAccount string) string {
	var stmts []map[string]any
	for i := 0; i < filler; i++ {
		stmts = append(stmts, map[string]any{
			"Sid": fmt.Sprintf("Pull%d", i), "Effect": "Allow",
			"Principal": map[string]any{"AWS": fmt.Sprintf("arn:aws:iam::%012d:root", 500000000000+i)},
			"Action":    []string{"ecr:BatchImportUpstreamImage"},
			"Resource":  fmt.Sprintf("arn:aws:ecr:%s:%s:repository/pull-%d/*", dst.Region, dst.Account, i),
		})
	}
	var principals []string
	for _, s := range srcs {
		acct := s.Account
		if wrongAccount != "" {
			acct = wrongAccount
		}
		principals = append(principals, "arn:aws:iam::"+acct+":root")
	}
	stmts = append(stmts, map[string]any{
		"Sid": "Replication", "Effect": "Allow",
		"Principal": map[string]any{"AWS": principals},
		"Action":    []string{"ecr:ReplicateImage", "ecr:CreateRepository"},
		"Resource":  fmt.Sprintf("arn:aws:ecr:%s:%s:repository/*", dst.Region, dst.Account),
	})
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b)
}

// repositoryGrant is the classic mistake: the grant in a repository policy,
// without a Resource element (AWS accepts it there).
func repositoryGrant(srcs []diagnose.Location) string {
	var principals []string
	for _, s := range srcs {
		principals = append(principals, "arn:aws:iam::"+s.Account+":root")
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Sid": "AllowReplication", "Effect": "Allow",
		"Principal": map[string]any{"AWS": principals},
		"Action":    []string{"ecr:ReplicateImage"},
	}}})
	return string(b)
}

// denial is a LookupEvents record of a ReplicateImage call the destination
// denied, as CloudTrail writes it in the source account.
func denial(src, dst diagnose.Location, repo string, at time.Time) map[string]any {
	arn := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", dst.Region, dst.Account, repo)
	id := fmt.Sprintf("%08x-0000-4000-8000-%012x", at.Unix()&0xffffffff, len(repo)*7919+int(dst.Account[11]))
	role := "arn:aws:sts::" + src.Account + ":assumed-role/AWSServiceRoleForECRReplication/ECRReplication"
	record := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "arn": role, "accountId": src.Account,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"type": "Role", "accountId": src.Account, "userName": "AWSServiceRoleForECRReplication",
				"arn": "arn:aws:iam::" + src.Account + ":role/aws-service-role/replication.ecr.amazonaws.com/AWSServiceRoleForECRReplication",
			}},
			"invokedBy": "replication.ecr.amazonaws.com",
		},
		"eventTime": at.UTC().Format(time.RFC3339), "eventSource": "ecr.amazonaws.com", "eventName": "ReplicateImage",
		"awsRegion": dst.Region, "sourceIPAddress": "replication.ecr.amazonaws.com", "userAgent": "replication.ecr.amazonaws.com",
		"errorCode":         "AccessDenied",
		"errorMessage":      "User: " + role + " is not authorized to perform: ecr:ReplicateImage on resource: " + arn + " because no resource-based policy allows the ecr:ReplicateImage action",
		"requestParameters": map[string]any{"registryId": dst.Account, "repositoryName": repo},
		"eventID":           id, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
		"resources":          []map[string]any{{"ARN": arn, "accountId": dst.Account, "type": "AWS::ECR::Repository"}},
		"recipientAccountId": src.Account, "eventCategory": "Management",
	}
	raw, _ := json.Marshal(record)
	return map[string]any{
		"EventId": id, "EventName": "ReplicateImage", "ReadOnly": "false", "EventTime": at.UTC().Format(time.RFC3339),
		"EventSource": "ecr.amazonaws.com", "Username": "ECRReplication",
		"Resources":       []map[string]any{{"ResourceType": "AWS::ECR::Repository", "ResourceName": arn}},
		"CloudTrailEvent": string(raw),
	}
}
