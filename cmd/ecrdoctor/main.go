// Command ecrdoctor explains why Amazon ECR images do not replicate to another
// account or region, proves it with evidence and prints the exact fix.
package main

import "os"

func main() {
	os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
