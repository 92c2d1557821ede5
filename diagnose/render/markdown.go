package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// Markdown writes the report for pasting into a ticket.
func Markdown(w io.Writer, r *diagnose.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## ecrdoctor: `%s` replication is %s\n\n", r.Repository, r.Verdict)
	fmt.Fprintf(&b, "**%s**\n\n", Headline(r))
	fmt.Fprintf(&b, "Source: `%s` in %s/%s\n\n", r.Repository, r.Source.Account, r.Source.Region)
	if len(r.Destinations) > 0 {
		b.WriteString("| Destination | Kind | Verdict | Note |\n|---|---|---|---|\n")
		for _, d := range r.Destinations {
			kind := destinationKind(d)
			fmt.Fprintf(&b, "| %s/%s | %s | %s | %s |\n", d.Account, d.Region, kind, d.Verdict, strings.ReplaceAll(d.Note, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	for i, f := range r.Findings {
		fmt.Fprintf(&b, "### %s\n\n", findingTitle(i, f))
		fmt.Fprintf(&b, "%s\n\n", f.Summary)
		if f.Detail != "" {
			fmt.Fprintf(&b, "%s\n\n", f.Detail)
		}
		if len(f.Evidence) > 0 {
			b.WriteString("**Evidence**\n\n")
			for _, e := range f.Evidence {
				meta := e.Kind
				if e.Source != "" {
					meta += ", `" + e.Source + "`"
				}
				if e.Time != "" {
					meta += ", " + e.Time
				}
				fmt.Fprintf(&b, "- %s\n\n  ```\n  %s\n  ```\n", meta, strings.ReplaceAll(e.Text, "\n", "\n  "))
			}
			b.WriteString("\n")
		}
		if fx := f.Fix; fx != nil {
			title := "**Fix**"
			if fx.RegistryPolicy != nil && fx.Verified {
				title = "**Fix** (verified by the evaluator)"
			}
			b.WriteString(title + "\n\n")
			for i, s := range fx.Steps {
				fmt.Fprintf(&b, "%d. %s\n", i+1, s)
			}
			b.WriteString("\n")
			if fx.RegistryPolicy != nil {
				fmt.Fprintf(&b, "Registry policy:\n\n```json\n%s\n```\n\n", prettyJSON(fx.RegistryPolicy))
			}
			if fx.AWSCLI != "" {
				fmt.Fprintf(&b, "AWS CLI:\n\n```sh\n%s\n```\n\n", fx.AWSCLI)
			}
			if fx.Terraform != "" {
				fmt.Fprintf(&b, "Terraform:\n\n```hcl\n%s\n```\n\n", fx.Terraform)
			}
			if fx.Backfill != "" {
				fmt.Fprintf(&b, "Backfill (source credentials, after the rest of the fix):\n\n```sh\n%s\n```\n\n", fx.Backfill)
			}
		}
	}
	if len(r.Warnings) > 0 {
		b.WriteString("### Warnings\n\n")
		for _, wn := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", wn)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "_%s_\n", eventsLine(r))
	_, err := io.WriteString(w, b.String())
	return err
}
