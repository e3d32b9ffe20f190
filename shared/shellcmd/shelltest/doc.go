// Package shelltest lets tests read a command line as a POSIX shell would
// (mvdan.cc/sh's parser), to check the words each command receives.
package shelltest
