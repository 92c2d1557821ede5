package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// The corpus: one organization trail, four accounts, three regions, a month
// of days, files of about fileSize bytes of JSON each, as CloudTrail lays
// them out in S3.
const (
	org        = "o-exampleorg1"
	fileSize   = 1 << 20
	repo       = "my-repo"
	srcAccount = "111111111111"
	dstAccount = "222222222222"
	slrARN     = "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication"
)

var (
	accounts = []string{srcAccount, dstAccount, "333333333333", "444444444444"}
	regions  = []string{"ap-northeast-1", "us-east-1", "eu-west-1"}
	start    = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

// manifest describes a generated corpus; compare checks the scan against it.
type manifest struct {
	Seed       uint64   `json:"seed"`
	Size       int64    `json:"size"`       // asked-for uncompressed bytes
	JSONBytes  int64    `json:"json_bytes"` // uncompressed bytes written
	Files      int      `json:"files"`
	Records    int      `json:"records"`
	Repository string   `json:"repository"`
	Needles    []string `json:"needles"`     // event ids "events --repo my-repo" must list
	NearMisses []string `json:"near_misses"` // event ids it must not list
}

// fileOut is what one generated file holds.
type fileOut struct {
	jsonBytes        int64
	records          int
	needles, nearMis []string
}

// generate writes the corpus under dir. The same seed and size give the
// same bytes whatever the number of CPUs.
func generate(dir string, size int64, seed uint64) (*manifest, error) {
	n := int(max(1, (size+fileSize-1)/fileSize))
	outs := make([]fileOut, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				outs[i], errs[i] = writeTrailFile(dir, seed, i, n)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	m := &manifest{Seed: seed, Size: size, Files: n, Repository: repo, Needles: []string{}, NearMisses: []string{}}
	for i, o := range outs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		m.JSONBytes += o.jsonBytes
		m.Records += o.records
		m.Needles = append(m.Needles, o.needles...)
		m.NearMisses = append(m.NearMisses, o.nearMis...)
	}
	sort.Strings(m.Needles)
	sort.Strings(m.NearMisses)
	// What a real bucket holds besides log files: digests and odd files.
	for i := range 3 {
		p := filepath.Join(dir, "AWSLogs", org, srcAccount, "CloudTrail-Digest", regions[0], "2024", "01", fmt.Sprintf("%02d", i+1),
			fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s_20240101T0000%02dZ.json.gz", srcAccount, regions[0], "trail", regions[0], i))
		if err := writeGzip(p, []byte(`{"awsAccountId":"111111111111","digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}`)); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "AWSLogs", "README.txt"), []byte("synced from s3://example-trail-bucket\n"), 0o644); err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return m, os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644)
}

func writeGzip(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeTrailFile writes file i of n: its account, region and time follow
// from i; its records from its own random stream.
func writeTrailFile(dir string, seed uint64, i, n int) (fileOut, error) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", seed, i)
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	acct := accounts[i%len(accounts)]
	region := regions[(i/len(accounts))%len(regions)]
	slot := i / (len(accounts) * len(regions))
	delivered := start.Add(time.Duration(slot) * 37 * time.Minute)
	g := &gen{rng: rng, acct: acct, region: region, file: i}
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_%016x.json.gz", acct, region, delivered.Format("20060102T1504Z"), rng.Uint64())
	path := filepath.Join(dir, "AWSLogs", org, acct, "CloudTrail", region, delivered.Format("2006/01/02"), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fileOut{}, err
	}
	f, err := os.Create(path)
	if err != nil {
		return fileOut{}, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 256<<10)
	zw, _ := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	cw := &countWriter{w: zw}
	var out fileOut
	cw.Write([]byte(`{"Records":[`))
	for k := 0; cw.n < fileSize-4096; k++ {
		if k > 0 {
			cw.Write([]byte(","))
		}
		t := delivered.Add(-time.Duration(rng.IntN(300)) * time.Second)
		b, kind := g.record(t)
		cw.Write(b)
		out.records++
		switch kind {
		case kindNeedle:
			out.needles = append(out.needles, g.lastID)
		case kindNearMiss:
			out.nearMis = append(out.nearMis, g.lastID)
		}
	}
	cw.Write([]byte("]}"))
	out.jsonBytes = cw.n
	if err := zw.Close(); err != nil {
		return out, err
	}
	return out, bw.Flush()
}

type countWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type kind int

const (
	kindBackground kind = iota
	kindNeedle
	kindNearMiss
)

// gen makes the records of one file.
type gen struct {
	rng          *rand.Rand
	acct, region string
	file         int
	lastID       string
}

type identity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
}

type sessionContext struct {
	SessionIssuer map[string]string `json:"sessionIssuer"`
	Attributes    map[string]string `json:"attributes"`
}

type resource struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// record is a CloudTrail record in CloudTrail's own key order.
type record struct {
	EventVersion       string     `json:"eventVersion"`
	UserIdentity       identity   `json:"userIdentity"`
	EventTime          string     `json:"eventTime"`
	EventSource        string     `json:"eventSource"`
	EventName          string     `json:"eventName"`
	AWSRegion          string     `json:"awsRegion"`
	SourceIPAddress    string     `json:"sourceIPAddress"`
	UserAgent          string     `json:"userAgent"`
	ErrorCode          string     `json:"errorCode,omitempty"`
	ErrorMessage       string     `json:"errorMessage,omitempty"`
	RequestParameters  any        `json:"requestParameters"`
	ResponseElements   any        `json:"responseElements"`
	AdditionalData     any        `json:"additionalEventData,omitempty"`
	RequestID          string     `json:"requestID"`
	EventID            string     `json:"eventID"`
	ReadOnly           bool       `json:"readOnly"`
	Resources          []resource `json:"resources,omitempty"`
	EventType          string     `json:"eventType"`
	ManagementEvent    bool       `json:"managementEvent"`
	RecipientAccountID string     `json:"recipientAccountId"`
	SharedEventID      string     `json:"sharedEventID,omitempty"`
	EventCategory      string     `json:"eventCategory"`
	TLSDetails         any        `json:"tlsDetails,omitempty"`
}

func (g *gen) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// key is an access key or principal id: upper-case base32, as AWS makes them.
func (g *gen) key(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 0, len(prefix)+n)
	b = append(b, prefix...)
	for range n {
		b = append(b, alphabet[g.rng.IntN(len(alphabet))])
	}
	return string(b)
}

var userAgents = []string{
	"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8 exec-env/CloudShell cfg/retry-mode#standard",
	"aws-sdk-go-v2/1.30.3 ua/2.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2",
	"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144",
	"terraform-provider-aws/5.58.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.1",
	"AWS Internal",
}

func (g *gen) human() identity {
	users := []string{"alice", "bob", "carol", "deploy-bot", "github-actions"}
	roles := []string{"Developer", "Admin", "CIDeploy", "ReadOnly"}
	u, r := users[g.rng.IntN(len(users))], roles[g.rng.IntN(len(roles))]
	return identity{
		Type: "AssumedRole", PrincipalID: g.key("AROA", 17) + ":" + u,
		ARN: "arn:aws:sts::" + g.acct + ":assumed-role/" + r + "/" + u, AccountID: g.acct,
		AccessKeyID: g.key("ASIA", 16),
		SessionContext: &sessionContext{
			SessionIssuer: map[string]string{"type": "Role", "principalId": g.key("AROA", 17), "arn": "arn:aws:iam::" + g.acct + ":role/" + r, "accountId": g.acct, "userName": r},
			Attributes:    map[string]string{"creationDate": "2024-01-01T00:00:00Z", "mfaAuthenticated": "false"},
		},
	}
}

func (g *gen) service(svc string) identity {
	return identity{Type: "AWSService", InvokedBy: svc}
}

func slr() identity {
	return identity{Type: "AssumedRole", PrincipalID: "AROAREPLICATIONEXAMPLE:ECRReplication", ARN: slrARN, AccountID: srcAccount, InvokedBy: "ecr.amazonaws.com",
		SessionContext: &sessionContext{
			SessionIssuer: map[string]string{"type": "Role", "principalId": "AROAREPLICATIONEXAMPLE", "arn": "arn:aws:iam::111111111111:role/aws-service-role/ecr.amazonaws.com/AWSServiceRoleForECRReplication", "accountId": srcAccount, "userName": "AWSServiceRoleForECRReplication"},
			Attributes:    map[string]string{"creationDate": "2024-01-01T00:00:00Z", "mfaAuthenticated": "false"},
		}}
}

func (g *gen) ip() string {
	return fmt.Sprintf("%d.%d.%d.%d", 3+g.rng.IntN(200), g.rng.IntN(256), g.rng.IntN(256), g.rng.IntN(256))
}

func (g *gen) base(t time.Time, id identity, source, name string) record {
	g.lastID = g.uuid()
	return record{
		EventVersion: "1.08", UserIdentity: id, EventTime: t.Format(time.RFC3339), EventSource: source, EventName: name,
		AWSRegion: g.region, SourceIPAddress: g.ip(), UserAgent: userAgents[g.rng.IntN(len(userAgents))],
		RequestID: g.uuid(), EventID: g.lastID, ReadOnly: true, EventType: "AwsApiCall", ManagementEvent: true,
		RecipientAccountID: g.acct, EventCategory: "Management",
		TLSDetails: map[string]string{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": strings.SplitN(source, ".", 2)[0] + "." + g.region + ".amazonaws.com"},
	}
}

func repoARN(region, acct, name string) string {
	return awsid.RepositoryARN(awsid.Location{Account: acct, Region: region}, name)
}

func denyMsg(user, action, resource, tail string) string {
	return "User: " + user + " is not authorized to perform: " + action + " on resource: " + resource + " " + tail
}

// denialTails are the message endings of the IAM guide, for needles.
var denialTails = []func(action string) string{
	func(a string) string { return "because no resource-based policy allows the " + a + " action" },
	func(a string) string { return "with an explicit deny in a resource-based policy" },
	func(a string) string {
		return "with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-exampleorg1/service_control_policy/p-abcd1234"
	},
	func(a string) string { return "with an explicit deny in a resource control policy" },
	func(a string) string { return "because no VPC endpoint policy allows the " + a + " action" },
}

// record makes one record at time t and says what it is.
func (g *gen) record(t time.Time) ([]byte, kind) {
	var r record
	k := kindBackground
	x := g.rng.IntN(100000)
	switch {
	case x < 40: // ~0.04%: a needle, a few hundred per GB
		k = kindNeedle
		action := "ReplicateImage"
		if g.rng.IntN(4) == 0 {
			action = "CreateRepository"
		}
		r = g.base(t, slr(), "ecr.amazonaws.com", action)
		r.ReadOnly = false
		r.AWSRegion = "ap-northeast-1"
		r.SourceIPAddress, r.UserAgent = "ecr.amazonaws.com", "ecr.amazonaws.com"
		r.ErrorCode = "AccessDenied"
		if g.rng.IntN(3) == 0 {
			r.ErrorCode = "AccessDeniedException"
		}
		r.ErrorMessage = denyMsg(slrARN, "ecr:"+action, repoARN("ap-northeast-1", dstAccount, repo), denialTails[g.rng.IntN(len(denialTails))]("ecr:"+action))
		r.RequestParameters = map[string]string{"registryId": dstAccount, "repositoryName": repo}
		r.RecipientAccountID = srcAccount
		if g.rng.IntN(2) == 0 { // the destination's copy of the call
			r.UserIdentity = identity{Type: "AWSAccount", PrincipalID: "AROAREPLICATIONEXAMPLE:ECRReplication", AccountID: srcAccount, InvokedBy: "ecr.amazonaws.com"}
			r.RecipientAccountID = dstAccount
			r.SharedEventID = g.uuid()
		}
	case x < 240: // near-misses: each would be a hit if the filter were sloppy
		k = kindNearMiss
		switch g.rng.IntN(7) {
		case 0, 1: // a denied replication of another repository
			other := []string{"my-repo-legacy", "team/my-repo", "my-repo2", "my-rep"}[g.rng.IntN(4)]
			r = g.base(t, slr(), "ecr.amazonaws.com", "ReplicateImage")
			r.ErrorCode = "AccessDenied"
			r.ErrorMessage = denyMsg(slrARN, "ecr:ReplicateImage", repoARN("ap-northeast-1", dstAccount, other), denialTails[0]("ecr:ReplicateImage"))
			r.RequestParameters = map[string]string{"registryId": dstAccount, "repositoryName": other}
		case 2: // a successful replication of my-repo
			r = g.base(t, slr(), "ecr.amazonaws.com", "ReplicateImage")
			r.RequestParameters = map[string]string{"registryId": dstAccount, "repositoryName": repo}
			r.Resources = []resource{{dstAccount, "AWS::ECR::Repository", repoARN("ap-northeast-1", dstAccount, repo)}}
		case 3: // a person denied CreateRepository my-repo
			id := g.human()
			r = g.base(t, id, "ecr.amazonaws.com", "CreateRepository")
			r.ErrorCode = "AccessDenied"
			r.ErrorMessage = denyMsg(id.ARN, "ecr:CreateRepository", repoARN(g.region, g.acct, repo), "because no identity-based policy allows the ecr:CreateRepository action")
			r.RequestParameters = map[string]string{"repositoryName": repo}
		case 4: // another action denied on my-repo
			id := g.human()
			r = g.base(t, id, "ecr.amazonaws.com", "BatchGetImage")
			r.ErrorCode = "AccessDenied"
			r.ErrorMessage = denyMsg(id.ARN, "ecr:BatchGetImage", repoARN(g.region, g.acct, repo), "because no identity-based policy allows the ecr:BatchGetImage action")
			r.RequestParameters = map[string]any{"repositoryName": repo, "imageIds": []map[string]string{{"imageTag": "latest"}}}
		case 5: // a failed CreateRepositoryCreationTemplate by the role name
			r = g.base(t, slr(), "ecr.amazonaws.com", "CreateRepositoryCreationTemplate")
			r.ErrorCode = "AccessDenied"
			r.ErrorMessage = denyMsg(slrARN, "ecr:CreateRepositoryCreationTemplate", repoARN(g.region, g.acct, "*"), "because no identity-based policy allows the ecr:CreateRepositoryCreationTemplate action")
			r.RequestParameters = map[string]string{"prefix": repo}
		case 6: // a policy simulation that names the action and repository
			id := g.human()
			r = g.base(t, id, "iam.amazonaws.com", "SimulatePrincipalPolicy")
			r.AWSRegion = "us-east-1"
			r.RequestParameters = map[string]any{"policySourceArn": slrARN, "actionNames": []string{"ecr:ReplicateImage", "ecr:CreateRepository"}, "resourceArns": []string{repoARN("ap-northeast-1", dstAccount, repo)}}
			r.ErrorCode = "AccessDenied"
			r.ErrorMessage = denyMsg(id.ARN, "iam:SimulatePrincipalPolicy", slrARN, "because no identity-based policy allows the iam:SimulatePrincipalPolicy action")
		}
	case x < 800: // successful replications of many repositories
		name := fmt.Sprintf("service-%d", g.rng.IntN(40))
		r = g.base(t, slr(), "ecr.amazonaws.com", "ReplicateImage")
		r.RequestParameters = map[string]string{"registryId": dstAccount, "repositoryName": name}
		r.Resources = []resource{{dstAccount, "AWS::ECR::Repository", repoARN("ap-northeast-1", dstAccount, name)}}
	default:
		r = g.background(t)
	}
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return b, k
}

// background makes the everyday records a trail is mostly made of.
func (g *gen) background(t time.Time) record {
	var r record
	switch x := g.rng.IntN(100); {
	case x < 30:
		r = g.base(t, g.human(), "s3.amazonaws.com", []string{"GetObject", "PutObject", "HeadObject"}[g.rng.IntN(3)])
		bucket := fmt.Sprintf("app-data-%d", g.rng.IntN(30))
		key := fmt.Sprintf("logs/%d/%08x.json", g.rng.IntN(9999), g.rng.Uint32())
		r.RequestParameters = map[string]string{"bucketName": bucket, "Host": bucket + ".s3." + g.region + ".amazonaws.com", "key": key}
		r.AdditionalData = map[string]any{"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader", "x-amz-id-2": fmt.Sprintf("%032x", g.rng.Uint64()), "bytesTransferredOut": g.rng.IntN(1 << 20)}
		r.Resources = []resource{{g.acct, "AWS::S3::Object", "arn:aws:s3:::" + bucket + "/" + key}, {g.acct, "AWS::S3::Bucket", "arn:aws:s3:::" + bucket}}
		r.ManagementEvent, r.EventCategory = false, "Data"
	case x < 45:
		r = g.base(t, g.service("ecs-tasks.amazonaws.com"), "kms.amazonaws.com", "Decrypt")
		r.RequestParameters = map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": map[string]string{"aws:secretsmanager:arn": "arn:aws:secretsmanager:" + g.region + ":" + g.acct + ":secret:db-" + fmt.Sprint(g.rng.IntN(9))}}
		r.Resources = []resource{{g.acct, "AWS::KMS::Key", "arn:aws:kms:" + g.region + ":" + g.acct + ":key/" + g.uuid()}}
	case x < 60:
		r = g.base(t, g.service("ecs.amazonaws.com"), "sts.amazonaws.com", "AssumeRole")
		r.RequestParameters = map[string]any{"roleArn": "arn:aws:iam::" + g.acct + ":role/task-" + fmt.Sprint(g.rng.IntN(20)), "roleSessionName": g.uuid(), "durationSeconds": 3600}
		r.ResponseElements = map[string]any{"credentials": map[string]string{"accessKeyId": g.key("ASIA", 16), "sessionToken": g.key("IQoJb3JpZ2luX2VjE", 200), "expiration": t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")}, "assumedRoleUser": map[string]string{"assumedRoleId": g.key("AROA", 17) + ":" + g.uuid(), "arn": "arn:aws:sts::" + g.acct + ":assumed-role/task/" + g.uuid()}}
	case x < 80:
		name := []string{"GetAuthorizationToken", "BatchGetImage", "GetDownloadUrlForLayer", "BatchCheckLayerAvailability", "PutImage", "DescribeImages"}[g.rng.IntN(6)]
		r = g.base(t, g.human(), "ecr.amazonaws.com", name)
		rn := []string{repo, "my-repo-legacy", "team/my-repo", "service-1", "service-7"}[g.rng.IntN(5)]
		if name != "GetAuthorizationToken" {
			r.RequestParameters = map[string]any{"repositoryName": rn, "registryId": g.acct, "imageIds": []map[string]string{{"imageTag": "v1." + fmt.Sprint(g.rng.IntN(99))}}}
			r.Resources = []resource{{g.acct, "AWS::ECR::Repository", repoARN(g.region, g.acct, rn)}}
		}
	case x < 92:
		r = g.base(t, g.human(), "ec2.amazonaws.com", []string{"DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes"}[g.rng.IntN(3)])
		r.RequestParameters = map[string]any{"maxResults": 1000, "filterSet": map[string]any{"items": []map[string]any{{"name": "tag:team", "valueSet": map[string]any{"items": []map[string]string{{"value": "platform"}}}}}}}
	case x < 97: // other AccessDenied events, for --any
		id := g.human()
		r = g.base(t, id, "iam.amazonaws.com", "ListRoles")
		r.ErrorCode = "AccessDenied"
		r.ErrorMessage = denyMsg(id.ARN, "iam:ListRoles", "arn:aws:iam::"+g.acct+":role/", "because no identity-based policy allows the iam:ListRoles action")
	default:
		r = g.base(t, g.human(), "lambda.amazonaws.com", "Invoke")
		r.RequestParameters = map[string]string{"functionName": "arn:aws:lambda:" + g.region + ":" + g.acct + ":function:worker-" + fmt.Sprint(g.rng.IntN(12))}
		r.ManagementEvent, r.EventCategory = false, "Data"
	}
	return r
}
