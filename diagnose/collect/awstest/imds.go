package awstest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// CredentialServer is a loopback stand-in for a credential endpoint of the
// SDK's default chain: the EC2 instance metadata service (IMDSv2) or a
// container credentials endpoint (ECS, CodeBuild, EKS Pod Identity). It
// hands out one set of credentials, to requests that prove what the real
// service asks them to prove.
type CredentialServer struct {
	URL string

	creds aws.Credentials
	mu    sync.Mutex
	hits  map[string]int // "PUT /latest/api/token" -> requests
}

// Hits returns the requests the server saw, by "METHOD path", refused ones
// included.
func (s *CredentialServer) Hits() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

func (s *CredentialServer) count(r *http.Request) {
	s.mu.Lock()
	s.hits[r.Method+" "+r.URL.Path]++
	s.mu.Unlock()
}

// imdsToken is the session token the IMDS stand-in issues.
const imdsToken = "imds-session-token"

// imdsRole is the instance profile's role name.
const imdsRole = "EcrdoctorInstanceRole"

// StartIMDS serves creds as the instance profile role's credentials the way
// IMDSv2 does: PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds)
// returns a token; GET /latest/meta-data/iam/security-credentials/ lists the
// role and .../ROLE returns the credentials, both only with the token
// (IMDSv1 requests are refused with 401, as on an instance that requires v2).
func StartIMDS(t testing.TB, creds aws.Credentials) *CredentialServer {
	t.Helper()
	s := &CredentialServer{creds: creds, hits: map[string]int{}}
	const prefix = "/latest/meta-data/iam/security-credentials/"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(r)
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
				http.Error(w, "missing TTL header", http.StatusBadRequest)
				return
			}
			w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
			_, _ = w.Write([]byte(imdsToken))
		case r.Method != http.MethodGet:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		case r.Header.Get("X-aws-ec2-metadata-token") != imdsToken:
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		case r.URL.Path == prefix:
			_, _ = w.Write([]byte(imdsRole))
		case r.URL.Path == prefix+imdsRole:
			writeCreds(w, map[string]any{"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": time.Now().UTC().Format(time.RFC3339)}, creds)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// StartContainerCredentials serves creds the way the ECS / EKS Pod Identity
// agent does: GET on any path returns them, only with the Authorization
// header set to token (when token is not empty).
func StartContainerCredentials(t testing.TB, creds aws.Credentials, token string) *CredentialServer {
	t.Helper()
	s := &CredentialServer{creds: creds, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(r)
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if token != "" && r.Header.Get("Authorization") != token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"code":"AccessDenied","message":"bad authorization token"}`))
			return
		}
		writeCreds(w, map[string]any{}, creds)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func writeCreds(w http.ResponseWriter, body map[string]any, c aws.Credentials) {
	body["AccessKeyId"] = c.AccessKeyID
	body["SecretAccessKey"] = c.SecretAccessKey
	body["Token"] = c.SessionToken
	body["Expiration"] = time.Now().Add(6 * time.Hour).UTC().Format(time.RFC3339)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// staticEnv are the variables that hand the SDK's chain static keys; they
// come first in the chain, so a test of another source unsets them.
var staticEnv = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

func (e *Env) unsetStatic() {
	for _, k := range staticEnv {
		e.Setenv(k, "")
	}
}

// UseIMDS makes the instance metadata stand-in the only source of the
// source credentials (AWS_EC2_METADATA_SERVICE_ENDPOINT), with the source
// keys as the instance role's credentials.
func (e *Env) UseIMDS() *CredentialServer {
	e.t.Helper()
	s := StartIMDS(e.t, e.Credentials(SourceAccount, ""))
	e.unsetStatic()
	e.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	e.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.URL)
	return s
}

// UseContainerCredentials makes the container endpoint stand-in the only
// source of the source credentials, as on EKS Pod Identity:
// AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback (the SDK takes plain HTTP
// only from loopback and the ECS/EKS agent addresses) and the token in the
// file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names.
func (e *Env) UseContainerCredentials() *CredentialServer {
	e.t.Helper()
	const token = "pod-identity-token"
	s := StartContainerCredentials(e.t, e.Credentials(SourceAccount, ""), token)
	file := filepath.Join(e.t.TempDir(), "eks-pod-identity-token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.unsetStatic()
	e.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", s.URL+"/v1/credentials")
	e.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file)
	return s
}

// ProcessOutput is what a well-behaved credential_process prints for the
// source keys.
func ProcessOutput() string {
	return fmt.Sprintf(`{"Version": 1, "AccessKeyId": %q, "SecretAccessKey": %q, "SessionToken": %q}`, SourceKey, ProcessSecret, ProcessToken)
}

// ProcessSecret and ProcessToken are the secret key and session token
// ProcessOutput hands out: a test greps every output for them.
const (
	ProcessSecret = "wJalrXUtnFEMIProcessSecretNeverPrinted"
	ProcessToken  = "FwoGZXIvYXdzEProcessSessionTokenNeverPrinted"
)

// UseCredentialProcess makes a credential_process in the default profile
// the only source of the source credentials; the process prints stdout.
func (e *Env) UseCredentialProcess(stdout string) {
	e.t.Helper()
	e.unsetStatic()
	e.WriteConfig("[default]\ncredential_process = " + e.CredentialProcess(stdout) + "\n")
}

// CredentialProcess writes a credential_process that prints stdout and
// returns its path, for a profile of WriteConfig.
func (e *Env) CredentialProcess(stdout string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	out := filepath.Join(dir, "output")
	script := filepath.Join(dir, "creds.sh")
	if err := os.WriteFile(out, []byte(stdout), 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte("#!/bin/sh\ncat '"+out+"'\n"), 0o700); err != nil {
		e.t.Fatal(err)
	}
	return script
}

// UseWebIdentity makes a web identity token (IRSA: AWS_WEB_IDENTITY_TOKEN_FILE
// and AWS_ROLE_ARN) the only source of the source credentials: the SDK
// exchanges it with sts:AssumeRoleWithWebIdentity for the role's.
func (e *Env) UseWebIdentity(roleARN string) {
	e.t.Helper()
	file := filepath.Join(e.t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.unsetStatic()
	e.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", file)
	e.Setenv("AWS_ROLE_ARN", roleARN)
	e.Setenv("AWS_ROLE_SESSION_NAME", "ecrdoctor-test")
	// The web identity provider's STS client follows the per-service
	// variable, not AWS_ENDPOINT_URL.
	e.Setenv("AWS_ENDPOINT_URL_STS", e.Moto.URL)
}

// UseSSO makes an SSO profile (the legacy sso_start_url form, with a cached
// token, as `aws sso login` leaves it) the only source of the source
// credentials: the SDK exchanges the token with the SSO portal's
// GetRoleCredentials, served here by a loopback stand-in
// (AWS_ENDPOINT_URL_SSO) that checks the bearer token.
func (e *Env) UseSSO() *CredentialServer {
	e.t.Helper()
	const token, startURL = "sso-access-token", "https://ecrdoctor-test.awsapps.com/start"
	creds := e.Credentials(SourceAccount, "")
	s := &CredentialServer{creds: creds, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(r)
		if r.URL.Path != "/federation/credentials" || r.Header.Get("x-amz-sso_bearer_token") != token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Session token not found or invalid"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"roleCredentials": map[string]any{
			"accessKeyId": creds.AccessKeyID, "secretAccessKey": creds.SecretAccessKey, "sessionToken": "sso-session",
			"expiration": time.Now().Add(time.Hour).UnixMilli()}})
	}))
	e.t.Cleanup(srv.Close)
	s.URL = srv.URL

	home := e.t.TempDir()
	cache := filepath.Join(home, ".aws", "sso", "cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		e.t.Fatal(err)
	}
	sum := sha1.Sum([]byte(startURL))
	tok, _ := json.Marshal(map[string]string{"accessToken": token, "expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "region": "us-east-1", "startUrl": startURL})
	if err := os.WriteFile(filepath.Join(cache, hex.EncodeToString(sum[:])+".json"), tok, 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.unsetStatic()
	e.Setenv("HOME", home)
	e.Setenv("AWS_ENDPOINT_URL_SSO", s.URL)
	e.Setenv("AWS_PROFILE", "sso")
	e.WriteConfig("[profile sso]\nsso_start_url = " + startURL + "\nsso_region = us-east-1\nsso_account_id = " + SourceAccount + "\nsso_role_name = Reader\n")
	return s
}
