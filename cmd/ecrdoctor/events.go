package main

import "github.com/urfave/cli/v2"

// PLACEHOLDER: replaced by the real command.
func eventsCommand(s *streams) *cli.Command {
	return &cli.Command{Name: "events", Usage: "not implemented yet", Action: action(func(c *cli.Context) error { return inputErrorf("events: not implemented yet") })}
}
