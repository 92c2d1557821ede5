package main

import "github.com/urfave/cli/v2"

// PLACEHOLDER: replaced by the real command.
func whyCommand(s *streams) *cli.Command {
	return &cli.Command{Name: "why", Usage: "not implemented yet", Action: action(func(c *cli.Context) error { return inputErrorf("why: not implemented yet") })}
}
