// Package trail turns CloudTrail records (LookupEvents output, trail log files and folders of them) into typed replication events, reading needle-first so that gigabytes of logs take seconds.
package trail
