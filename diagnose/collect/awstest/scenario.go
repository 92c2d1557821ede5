package awstest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// SourceKey is the access key the product runs with in tests: moto gives
// it SourceAccount.
const SourceKey = "AKIAECRDOCTORSOURCE1"

// Env is AWS for one test: moto behind the proxy, and the CloudTrail stand-in.
type Env struct {
	Moto  *Moto
	Trail *CloudTrail
	t     testing.TB

	profiles map[string]profile // for AWS
	// vars is the environment a command line run on this Env has (the
	// SDK's default chain pointed at the servers); process says Start put
	// them in the process environment too.
	vars    map[string]string
	process bool
}

// New starts moto and the CloudTrail stand-in for one test and touches no
// process environment: the product reaches them through Env.LoadConfig and
// Env.CloudTrail, or runs as a process of its own with Env.Environ, so the
// test may run in parallel with others, each with its own servers.
func New(t testing.TB) *Env {
	m := StartMoto(t)
	ct := StartCloudTrail(t, m.AccountOf)
	cfgFile := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfgFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &Env{Moto: m, Trail: ct, t: t, profiles: map[string]profile{}, vars: map[string]string{
		"AWS_ENDPOINT_URL":            m.URL,
		"AWS_ENDPOINT_URL_CLOUDTRAIL": ct.URL,
		"AWS_ACCESS_KEY_ID":           SourceKey,
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_CONFIG_FILE":             cfgFile,
		"AWS_SHARED_CREDENTIALS_FILE": cfgFile,
		"AWS_EC2_METADATA_DISABLED":   "true",
	}}
}

// Fork is an Env of test t (a subtest of e's) on e's servers, and so on
// what was built on them, with an environment and a shared config file of
// its own: subtests that run the command in different environments (a
// credential source each) share one moto and one scenario. What is set on
// the servers (Moto.DenyRoles, Moto.ExpiredKeys) is shared too.
func (e *Env) Fork(t testing.TB) *Env {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfgFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &Env{Moto: e.Moto, Trail: e.Trail, t: t, profiles: map[string]profile{}, vars: map[string]string{}}
	for k, v := range e.profiles {
		f.profiles[k] = v
	}
	for k, v := range e.vars {
		f.vars[k] = v
	}
	f.vars["AWS_CONFIG_FILE"], f.vars["AWS_SHARED_CREDENTIALS_FILE"] = cfgFile, cfgFile
	return f
}

// Start is New, and points the SDK's default chain at the servers through
// the process environment (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDTRAIL,
// static source keys, empty shared files), as a user would; so do the Use
// methods after it. It uses t.Setenv, so the test must not be parallel: a
// parallel test runs the command as a process of its own, with Environ.
func Start(t *testing.T) *Env {
	e := New(t)
	e.process = true
	for k, v := range e.vars {
		e.putenv(k, v)
	}
	return e
}

// Setenv sets a variable of the environment of a command line run on e
// (Environ), and of the process after Start; "" unsets it.
func (e *Env) Setenv(key, value string) {
	e.vars[key] = value
	if e.process {
		e.putenv(key, value)
	}
}

func (e *Env) putenv(key, value string) {
	e.t.Setenv(key, value) // restored when the test ends
	if value == "" {
		os.Unsetenv(key) // an empty AWS_PROFILE names a profile "" for the CLI
	}
}

// Environ is the environment of a process run on e: this process's, less
// every AWS_ variable, plus e's (the unset ones left out). The SDK's default
// chain reads the process environment alone, so a test of a credential
// source runs the command as a process of its own with this environment.
func (e *Env) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := e.vars[name]; !ours && !strings.HasPrefix(name, "AWS_") {
			out = append(out, kv)
		}
	}
	for k, v := range e.vars {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

type profile struct {
	region string
	creds  aws.Credentials
}

// Profile adds a named profile to those Env.LoadConfig knows, holding creds, with
// region ("" for none).
func (e *Env) Profile(name, region string, creds aws.Credentials) {
	e.profiles[name] = profile{region: region, creds: creds}
}

// LoadConfig is what the product's capture loads configurations with
// instead of the process environment (collect.AWS.LoadConfig): moto, through
// the proxy, for ECR and STS; the source keys for the default profile, and
// the profiles added with Profile. The product still adds its read-only
// guard. (awstest gives the pieces rather than a collect.AWS: collect's own
// tests import awstest.)
func (e *Env) LoadConfig(_ context.Context, name, region string) (aws.Config, error) {
	creds := aws.Credentials{AccessKeyID: SourceKey, SecretAccessKey: "secret"}
	if name != "" {
		p, ok := e.profiles[name]
		if !ok {
			return aws.Config{}, config.SharedConfigProfileNotExistError{Profile: name}
		}
		creds = p.creds
		if region == "" {
			region = p.region
		}
	}
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: creds}),
		BaseEndpoint: aws.String(e.Moto.URL),
	}, nil
}

// CloudTrail builds the product's CloudTrail client on the stand-in
// (collect.AWS.CloudTrail).
func (e *Env) CloudTrail(cfg aws.Config, opts ...func(*cloudtrail.Options)) cloudtrail.LookupEventsAPIClient {
	opts = append(opts, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(e.Trail.URL) })
	return cloudtrail.NewFromConfig(cfg, opts...)
}

// WriteConfig writes the shared config file the SDK reads (AWS_CONFIG_FILE).
func (e *Env) WriteConfig(text string) {
	e.t.Helper()
	if err := os.WriteFile(e.vars["AWS_CONFIG_FILE"], []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// Credentials returns static credentials of account: the source keys, or
// those of an explicit sts:AssumeRole into arn:aws:iam::<account>:role/role.
// (The SDK's profile role_arn does not send STS to AWS_ENDPOINT_URL, so
// tests hand assumed credentials over as static ones.)
func (e *Env) Credentials(account, role string) aws.Credentials {
	e.t.Helper()
	if account == SourceAccount {
		return aws.Credentials{AccessKeyID: SourceKey, SecretAccessKey: "secret"}
	}
	client := sts.New(sts.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(e.Moto.MotoURL),
		Credentials: credentials.NewStaticCredentialsProvider(SourceKey, "secret", ""),
	})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + role), RoleSessionName: aws.String("scenario-setup"),
	})
	if err != nil {
		e.t.Fatalf("assuming a role in %s: %v", account, err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

// Admin is an ECR client of account in region for scenario set-up: it may
// write, and it has no read-only guard. It talks to moto directly.
func (e *Env) Admin(account, region string) *ecr.Client {
	e.t.Helper()
	creds := e.Credentials(account, "ScenarioAdmin")
	return ecr.New(ecr.Options{
		Region: region, BaseEndpoint: aws.String(e.Moto.MotoURL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
	})
}

// Rule is one replication rule of a scenario.
type Rule struct {
	Destinations []diagnose.Location
	Filters      []string // prefixes; none covers every repository
	// DeleteReplication sets the rule's deleteReplication.enabled (moto
	// keeps the rule as it was put).
	DeleteReplication bool
}

// Destination is the state of one destination registry.
type Destination struct {
	RepositoryExists bool
	RegistryPolicy   string // "" for none
	RepositoryPolicy string // "" for none
}

// Scenario is a replication set-up to build in moto.
type Scenario struct {
	Repository string
	Region     string // source region
	Rules      []Rule
	Images     int // images pushed to the source repository
	// Status is every image's replication status (served by the proxy).
	Status []map[string]string
	// Destinations by location; also registry policies in other regions.
	Destinations map[diagnose.Location]Destination
	Events       []Event
}

// Build creates the scenario in moto and the stand-ins and returns the
// digests of the images pushed, oldest first.
func (e *Env) Build(s Scenario) []string {
	e.t.Helper()
	ctx := context.Background()
	src := e.Admin(SourceAccount, s.Region)
	if _, err := src.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(s.Repository)}); err != nil {
		e.t.Fatalf("creating the source repository: %v", err)
	}
	var digests []string
	for i := range s.Images {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%x"},"layers":[]}`, 100+i, sha256.Sum256([]byte(fmt.Sprint("config", i))))
		out, err := src.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(s.Repository), ImageManifest: aws.String(manifest), ImageTag: aws.String(fmt.Sprintf("v%d", i+1))})
		if err != nil {
			e.t.Fatalf("pushing an image: %v", err)
		}
		d := aws.ToString(out.Image.ImageId.ImageDigest)
		digests = append(digests, d)
		e.Moto.mu.Lock()
		e.Moto.Statuses[d] = s.Status
		e.Moto.mu.Unlock()
	}
	if len(s.Rules) > 0 {
		e.putReplication(src, SourceAccount, s.Region, s.Rules)
	}
	for loc, d := range s.Destinations {
		client := e.Admin(loc.Account, loc.Region)
		if d.RepositoryExists {
			if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(s.Repository)}); err != nil {
				e.t.Fatalf("creating the repository in %s: %v", loc, err)
			}
			if d.RepositoryPolicy != "" {
				if _, err := client.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(s.Repository), PolicyText: aws.String(d.RepositoryPolicy)}); err != nil {
					e.t.Fatalf("setting the repository policy in %s: %v", loc, err)
				}
			}
		}
		if d.RegistryPolicy != "" {
			if _, err := client.PutRegistryPolicy(ctx, &ecr.PutRegistryPolicyInput{PolicyText: aws.String(d.RegistryPolicy)}); err != nil {
				e.t.Fatalf("putting the registry policy in %s: %v", loc, err)
			}
		}
	}
	e.Trail.Add(s.Events...)
	e.Moto.ResetCounts()
	return digests
}

// putReplication puts rules as the replication configuration of the
// registry client writes to (account, region), and keeps them for
// DescribeRegistry (see keepReplication).
func (e *Env) putReplication(client *ecr.Client, account, region string, rules []Rule) {
	e.t.Helper()
	var put []ecrtypes.ReplicationRule
	for _, r := range rules {
		var rule ecrtypes.ReplicationRule
		for _, d := range r.Destinations {
			rule.Destinations = append(rule.Destinations, ecrtypes.ReplicationDestination{Region: aws.String(d.Region), RegistryId: aws.String(d.Account)})
		}
		for _, f := range r.Filters {
			rule.RepositoryFilters = append(rule.RepositoryFilters, ecrtypes.RepositoryFilter{Filter: aws.String(f), FilterType: ecrtypes.RepositoryFilterTypePrefixMatch})
		}
		if r.DeleteReplication {
			rule.DeleteReplication = &ecrtypes.DeleteReplication{Enabled: true}
		}
		put = append(put, rule)
	}
	if _, err := client.PutReplicationConfiguration(context.Background(), &ecr.PutReplicationConfigurationInput{ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: put}}); err != nil {
		e.t.Fatalf("configuring replication in %s/%s: %v", account, region, err)
	}
	e.Moto.keepReplication(account, region, rules)
}

// ReplicationGrant is a registry policy granting source replication into
// destAccount/destRegion for repositories named prefix*.
func ReplicationGrant(source, destAccount, destRegion, prefix string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"ReplicationAccessCrossAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":["ecr:CreateRepository","ecr:ReplicateImage"],"Resource":"arn:aws:ecr:%s:%s:repository/%s*"}]}`, source, destRegion, destAccount, prefix)
}

// RepositoryGrant is the seed case's misplaced grant: a repository policy
// allowing the source account ecr:ReplicateImage.
func RepositoryGrant(source string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowReplication","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"ecr:ReplicateImage"}]}`, source)
}
