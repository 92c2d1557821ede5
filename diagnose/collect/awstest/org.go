package awstest

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// Organization creates, in moto, an organization whose management account
// is SourceAccount, with one member account per name, and returns the
// members' account ids in the order of names.
func (e *Env) Organization(names ...string) []string {
	e.t.Helper()
	ctx := context.Background()
	client := organizations.New(organizations.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(e.Moto.MotoURL),
		Credentials: credentials.NewStaticCredentialsProvider(SourceKey, "secret", ""),
	})
	if _, err := client.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		e.t.Fatalf("creating the organization: %v", err)
	}
	var ids []string
	for _, name := range names {
		out, err := client.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			e.t.Fatalf("creating account %s: %v", name, err)
		}
		ids = append(ids, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	e.Moto.ResetCounts()
	return ids
}

// Registry is one registry of a multi-account scenario (a scan's).
type Registry struct {
	Account, Region string
	// Repositories are created empty; RepositoryPolicies are set on them.
	Repositories       []string
	RepositoryPolicies map[string]string
	Rules              []Rule
	RegistryPolicy     string // "" for none
}

// BuildRegistries creates the registries in moto, in order, and forgets
// the requests made doing so.
func (e *Env) BuildRegistries(regs ...Registry) {
	e.t.Helper()
	ctx := context.Background()
	for _, r := range regs {
		client := e.Admin(r.Account, r.Region)
		for _, name := range r.Repositories {
			if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
				e.t.Fatalf("creating %s in %s/%s: %v", name, r.Account, r.Region, err)
			}
		}
		names := make([]string, 0, len(r.RepositoryPolicies))
		for name := range r.RepositoryPolicies {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if _, err := client.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(name), PolicyText: aws.String(r.RepositoryPolicies[name])}); err != nil {
				e.t.Fatalf("setting the policy of %s in %s/%s: %v", name, r.Account, r.Region, err)
			}
		}
		if r.RegistryPolicy != "" {
			if _, err := client.PutRegistryPolicy(ctx, &ecr.PutRegistryPolicyInput{PolicyText: aws.String(r.RegistryPolicy)}); err != nil {
				e.t.Fatalf("putting the registry policy of %s/%s: %v", r.Account, r.Region, err)
			}
		}
		if len(r.Rules) > 0 {
			e.putReplication(client, r.Account, r.Region, r.Rules)
		}
	}
	e.Moto.ResetCounts()
}

// RepositoryNames are n names prefix0000, prefix0001, ...
func RepositoryNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

// Org is the organization ExampleOrganization builds.
type Org struct {
	Management, Apps, DR string
	// East and West are DR's destination registries; AppsEast is Apps'
	// registry in us-east-1, the management account's destination.
	East, West, AppsEast diagnose.Location
}

// Expected are the verdict and root cause of every pair of the
// organization, "SOURCE-ACCOUNT REPO -> DEST": "verdict CODE", as a scan
// must find them (see ExampleOrganization for why).
func (o Org) Expected() map[string]string {
	return map[string]string{
		fmt.Sprintf("%s platform/base -> %s", o.Management, o.AppsEast): "failing PRINCIPAL_MISMATCH",
		fmt.Sprintf("%s team-a/api -> %s", o.Apps, o.East):              "healthy ",
		fmt.Sprintf("%s team-a/api -> %s", o.Apps, o.West):              "failing REGISTRY_POLICY_IN_OTHER_REGION",
		fmt.Sprintf("%s team-a/web -> %s", o.Apps, o.East):              "healthy ",
		fmt.Sprintf("%s team-a/web -> %s", o.Apps, o.West):              "failing GRANT_IN_REPOSITORY_POLICY",
	}
}

// PairKey is a scan pair as Expected names it.
func PairKey(source diagnose.Location, repo string, dest diagnose.Location) string {
	return fmt.Sprintf("%s %s -> %s", source.Account, repo, dest)
}

// ExampleOrganization builds an organization of three accounts, each with
// a registry in us-east-1, and one root cause per failing destination: the
// management account replicates platform/ to apps, whose registry policy
// grants a typo'd account (PRINCIPAL_MISMATCH); apps replicates team-a/ to
// dr in us-east-1 (granted: healthy) and us-west-2, which has no registry
// policy (team-a/web's grant is in its repository policy there:
// GRANT_IN_REPOSITORY_POLICY; team-a/api's is only in us-east-1:
// REGISTRY_POLICY_IN_OTHER_REGION), with the denial of team-a/web in
// CloudTrail; dr replicates nothing; other/tool is covered by no rule.
func (e *Env) ExampleOrganization() Org {
	e.t.Helper()
	ids := e.Organization("apps", "dr")
	o := Org{Management: SourceAccount, Apps: ids[0], DR: ids[1]}
	o.East = diagnose.Location{Account: o.DR, Region: "us-east-1"}
	o.West = diagnose.Location{Account: o.DR, Region: "us-west-2"}
	o.AppsEast = diagnose.Location{Account: o.Apps, Region: "us-east-1"}
	e.BuildRegistries(
		Registry{Account: o.Management, Region: "us-east-1", Repositories: []string{"platform/base"},
			Rules: []Rule{{Destinations: []diagnose.Location{o.AppsEast}, Filters: []string{"platform/"}}}},
		Registry{Account: o.Apps, Region: "us-east-1", Repositories: []string{"team-a/api", "team-a/web", "other/tool"},
			Rules:          []Rule{{Destinations: []diagnose.Location{o.East, o.West}, Filters: []string{"team-a/"}}},
			RegistryPolicy: ReplicationGrant("999999999999", o.Apps, "us-east-1", "platform/")},
		Registry{Account: o.DR, Region: "us-east-1", Repositories: []string{"team-a/api"},
			RegistryPolicy: ReplicationGrant(o.Apps, o.DR, "us-east-1", "team-a/")},
		Registry{Account: o.DR, Region: "us-west-2", Repositories: []string{"team-a/web"},
			RepositoryPolicies: map[string]string{"team-a/web": RepositoryGrant(o.Apps)}},
	)
	// The denial lands in the source account, destination region.
	e.Trail.Add(Event{ID: "denied-web", Time: time.Now().Add(-time.Hour), Account: o.Apps, Region: o.West.Region,
		SourceAccount: o.Apps, DestAccount: o.DR, DestRegion: o.West.Region, Repository: "team-a/web",
		ErrorCode: "AccessDenied", ErrorMessage: DeniedMessage(o.Apps, o.DR, o.West.Region, "team-a/web")})
	return o
}
