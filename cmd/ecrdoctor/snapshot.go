package main

import "github.com/urfave/cli/v2"

// PLACEHOLDER: replaced by the real command.
func snapshotCommand(s *streams) *cli.Command {
	return &cli.Command{Name: "snapshot", Usage: "not implemented yet", Action: action(func(c *cli.Context) error { return inputErrorf("snapshot: not implemented yet") })}
}
