// Package policy parses IAM-style policy documents and evaluates requests against them the way AWS IAM does, explaining which statements decided.
package policy
