package main

import (
	"fmt"
	"strconv"
	"strings"
)

// portList is a comma-separated list of ports as a flag value.
type portList struct{ ports *[]uint16 }

func newPortList(p *[]uint16) *portList { return &portList{p} }

func (l *portList) String() string {
	if l.ports == nil {
		return ""
	}
	s := make([]string, len(*l.ports))
	for i, p := range *l.ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}

func (l *portList) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(item), 10, 16)
		if err != nil || n == 0 {
			return fmt.Errorf("port %q: want 1 to 65535", item)
		}
		*l.ports = append(*l.ports, uint16(n))
	}
	return nil
}

func (l *portList) Type() string { return "ports" }
