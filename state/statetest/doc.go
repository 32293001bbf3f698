// Package statetest opens exsh stores for tests: each in its own temporary
// data path, checked for consistency and closed at cleanup.
package statetest
