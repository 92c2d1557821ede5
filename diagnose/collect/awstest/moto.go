// Package awstest stands in for AWS in ecrdoctor's tests: it runs moto_server
// on a loopback port behind a small proxy (which adds the ECR reads moto
// lacks and can refuse sts:AssumeRole), serves CloudTrail LookupEvents from a
// loopback stand-in, and builds replication scenarios through the SDK. It is
// for tests only; the product never imports it.
package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SourceAccount is the account moto serves to credentials it does not know:
// the source registry of every scenario.
const SourceAccount = "123456789012"

// Moto is a running moto_server behind the counting proxy.
type Moto struct {
	// URL is the proxy's address: set AWS_ENDPOINT_URL to it.
	URL string
	// MotoURL is moto_server itself.
	MotoURL string
	pgid    int // moto_server's process group

	mu     sync.Mutex
	counts map[string]int // "ecr:GetRegistryPolicy" -> requests
	// DenyRoles are role names (or role ARNs, for one account's role) whose
	// sts:AssumeRole the proxy refuses with AccessDenied, as IAM would
	// without a trust (moto enforces no IAM).
	DenyRoles map[string]bool
	// Statuses answer DescribeImageReplicationStatus (moto has none), by
	// image digest.
	Statuses map[string][]map[string]string
	// ExpiredKeys are access keys answered ExpiredTokenException.
	ExpiredKeys map[string]bool
	// Unresponsive are accounts whose requests get no answer: the proxy
	// holds them until the client gives up, as an unreachable endpoint does.
	Unresponsive map[string]bool
	// PolicyScope answers GetAccountSetting REGISTRY_POLICY_SCOPE (moto has
	// none); "V2" when empty.
	PolicyScope string
	// AthenaScanned is every Athena query's DataScannedInBytes (moto's is 0).
	AthenaScanned int64
	athenaPages   int
	athenaStarts  []AthenaStart

	accounts map[string]string // access key -> account, learnt from moto
	// replication keeps each registry's replication configuration as it
	// was put, by "account/region": moto's model drops the rule fields it
	// does not know (deleteReplication), so DescribeRegistry is answered
	// from here.
	replication map[string]json.RawMessage
	// Backfills answers ListReplicationBackfills and
	// DescribeReplicationBackfillResults (moto has neither).
	Backfills BackfillStandIn
	// Templates answers DescribeRepositoryCreationTemplates, by
	// "account/region" (moto has none).
	Templates map[string][]map[string]any
	// PullThroughCache answers DescribePullThroughCacheRules, by
	// "account/region" (moto has none).
	PullThroughCache map[string][]map[string]any
	// RegionOptIn answers the Account API's GetRegionOptStatus, by
	// "account/region" ("ENABLED" when not set; moto has no Account API);
	// DenyRegionOptIn are accounts refused it.
	RegionOptIn     map[string]string
	DenyRegionOptIn map[string]bool
}

// StartMoto starts moto_server on a free loopback port and stops it when the
// test ends. It skips the test when moto_server is not installed, and fails
// it instead when ECRDOCTOR_REQUIRE_MOTO=1 (CI).
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	bin, err := motoBinary()
	if err != nil {
		if os.Getenv("ECRDOCTOR_REQUIRE_MOTO") == "1" {
			t.Fatalf("moto_server is required (ECRDOCTOR_REQUIRE_MOTO=1) but not found on PATH: install it with pip install 'moto[server]' and put it on PATH")
		}
		t.Skip("moto_server not installed (pip install 'moto[server]'); skipping the live AWS tests")
	}
	motoURL, pgid := "", 0
	for attempt := 1; motoURL == ""; attempt++ {
		motoURL, pgid = startMotoOnce(t, bin)
		if motoURL == "" && attempt == 3 {
			t.Fatalf("moto_server could not get a port of its own in 3 attempts")
		}
	}
	m := &Moto{MotoURL: motoURL, pgid: pgid, counts: map[string]int{}, DenyRoles: map[string]bool{}, Statuses: map[string][]map[string]string{}, ExpiredKeys: map[string]bool{}, Unresponsive: map[string]bool{}, accounts: map[string]string{}}
	target, _ := url.Parse(motoURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		op := operationOf(r, body)
		m.mu.Lock()
		m.counts[op]++
		m.mu.Unlock()
		key, _, _ := signer(r)
		if m.ExpiredKeys[key] {
			expired(w, op)
			return
		}
		m.mu.Lock()
		hold := len(m.Unresponsive) > 0
		m.mu.Unlock()
		if hold && key != "" {
			if acct := m.AccountOf(key); m.unresponsive(acct) {
				<-r.Context().Done()
				return
			}
		}
		if m.athena(w, r, op, body) || m.interceptRegistry(w, r, op) || m.interceptAccount(w, r, op, body) || m.intercept(w, op, body) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

// motoBinary finds moto_server on PATH, and only there: where it is
// installed is the machine's business (.ci/run puts the pyenv shims on PATH).
func motoBinary() (string, error) { return exec.LookPath("moto_server") }

// CPU is the CPU time (user and system) moto_server's processes have used.
func (m *Moto) CPU() time.Duration { return groupCPU(m.pgid) }

// SetUnresponsive makes account's requests go unanswered.
func (m *Moto) SetUnresponsive(account string) {
	m.mu.Lock()
	m.Unresponsive[account] = true
	m.mu.Unlock()
}

func (m *Moto) unresponsive(account string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Unresponsive[account]
}

// Counts returns the requests the proxy saw, by "service:Operation".
func (m *Moto) Counts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.counts {
		out[k] = v
	}
	return out
}

// ResetCounts forgets the requests seen so far (those of scenario set-up).
func (m *Moto) ResetCounts() {
	m.mu.Lock()
	m.counts = map[string]int{}
	m.mu.Unlock()
}

// Total is the number of requests the proxy saw.
func (m *Moto) Total() int {
	n := 0
	for _, v := range m.Counts() {
		n += v
	}
	return n
}

func (m *Moto) intercept(w http.ResponseWriter, op string, body []byte) bool {
	switch op {
	case "ecr:GetAccountSetting":
		scope := m.PolicyScope
		if scope == "" {
			scope = "V2"
		}
		writeJSON(w, 200, map[string]string{"name": "REGISTRY_POLICY_SCOPE", "value": scope})
		return true
	case "ecr:DescribeImageReplicationStatus":
		var in struct {
			RepositoryName string            `json:"repositoryName"`
			ImageID        map[string]string `json:"imageId"`
		}
		_ = json.Unmarshal(body, &in)
		m.mu.Lock()
		st := m.Statuses[in.ImageID["imageDigest"]]
		m.mu.Unlock()
		if st == nil {
			st = []map[string]string{}
		}
		writeJSON(w, 200, map[string]any{"repositoryName": in.RepositoryName, "imageId": in.ImageID, "replicationStatuses": st})
		return true
	case "sts:AssumeRole":
		form, _ := url.ParseQuery(string(body))
		arn := form.Get("RoleArn")
		name := arn[strings.LastIndex(arn, "/")+1:]
		if m.DenyRoles[name] || m.DenyRoles[arn] {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(403)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::%s:user/moto is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`, SourceAccount, arn)
			return true
		}
	}
	return false
}

// AccountOf returns the account moto serves to an access key (it follows
// the key: assumed-role keys belong to the role's account, any other key to
// SourceAccount). moto checks no signatures, so asking STS with the key id
// alone is enough.
func (m *Moto) AccountOf(accessKey string) string {
	m.mu.Lock()
	if a, ok := m.accounts[accessKey]; ok {
		m.mu.Unlock()
		return a
	}
	m.mu.Unlock()
	req, _ := http.NewRequest("POST", m.MotoURL+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKey+"/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	match := regexp.MustCompile(`<Account>(\d+)</Account>`).FindSubmatch(b)
	if match == nil {
		return ""
	}
	m.mu.Lock()
	m.accounts[accessKey] = string(match[1])
	m.mu.Unlock()
	return string(match[1])
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/`)

// signer returns the access key, region and service of a signed request.
func signer(r *http.Request) (key, region, service string) {
	m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return "", "", ""
	}
	return m[1], m[2], m[3]
}

// operationOf names a request "service:Operation" for JSON (X-Amz-Target)
// and query (Action=) protocols.
func operationOf(r *http.Request, body []byte) string {
	_, _, service := signer(r)
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return service + ":" + t[strings.LastIndex(t, ".")+1:]
	}
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
		return service + ":" + form.Get("Action")
	}
	return service + ":" + r.Method + " " + r.URL.Path
}

func expired(w http.ResponseWriter, op string) {
	const msg = "The security token included in the request is expired"
	if strings.HasPrefix(op, "sts:") {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(403)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, msg)
		return
	}
	writeJSON(w, 400, map[string]string{"__type": "ExpiredTokenException", "message": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// startMotoOnce starts moto_server on a free port and returns its URL (and
// its process group) once it answers, or "" when another process took the port first. freePort
// closes its probe before moto binds, so a moto of a test running in
// parallel (another package) may get the same port: then ours cannot bind
// and exits, while the other answers. Only our own "Running on" line
// proves the port is ours.
func startMotoOnce(t testing.TB, bin string) (string, int) {
	port := freePort(t)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	cmd.Env = append(os.Environ(), "MOTO_ACCOUNT_ID=") // the account must follow the credentials
	cmd.Env = filterEnv(cmd.Env, "MOTO_ACCOUNT_ID")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the shim's child too
		<-exited
	}
	motoURL := "http://127.0.0.1:" + port
	running := "Running on " + motoURL
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			return "", 0 // could not bind: the port was taken
		default:
		}
		if strings.Contains(logs.String(), running) {
			if resp, err := http.Get(motoURL + "/moto-api/"); err == nil {
				resp.Body.Close()
				t.Cleanup(stop)
				return motoURL, cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("moto_server did not start within 30s:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer the process's output goroutines and the
// test can use at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func filterEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// SortedKeys is a helper for printing counts.
func SortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
