package awstest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TrailFile is a trail log file holding events, gzipped, as CloudTrail
// delivers it to S3.
func TrailFile(events ...Event) []byte {
	recs := []any{}
	for _, e := range events {
		recs = append(recs, e.Record())
	}
	doc, _ := json.Marshal(map[string]any{"Records": recs})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(doc)
	zw.Close()
	return buf.Bytes()
}

// TrailKey is the key CloudTrail delivers a file of account and region to
// at delivered, under AWSLogs/ (of organization org, "" for none).
func TrailKey(org, account, region string, delivered time.Time) string {
	if org != "" {
		org += "/"
	}
	d := delivered.UTC()
	return fmt.Sprintf("AWSLogs/%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_abcd.json.gz",
		org, account, region, d.Format("2006/01/02"), account, region, d.Format("20060102T1504Z"))
}

// PutObjects creates bucket in moto and puts files (key to body) into it.
func (m *Moto) PutObjects(t testing.TB, bucket string, files map[string][]byte) {
	t.Helper()
	client := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(m.MotoURL),
		Credentials: credentials.NewStaticCredentialsProvider(SourceKey, "secret", "")}, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	for k, v := range files {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
}
