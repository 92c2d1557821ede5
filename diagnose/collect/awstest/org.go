package awstest

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
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
