//go:build !linux

package main

// releaseStartupPages does nothing where the binary's mappings cannot be
// listed.
func releaseStartupPages() {}
