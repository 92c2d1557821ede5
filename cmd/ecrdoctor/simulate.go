package main

import "github.com/urfave/cli/v2"

// PLACEHOLDER: replaced by the real command.
func simulateCommand(s *streams) *cli.Command {
	return &cli.Command{Name: "simulate", Usage: "not implemented yet", Action: action(func(c *cli.Context) error { return inputErrorf("simulate: not implemented yet") })}
}
