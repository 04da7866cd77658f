package identity

import (
	"path/filepath"
	"testing"

	"github.com/loupe-dev/loupe/api/labels"
)

func TestAllocationsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identities.json")
	a, err := NewAllocator(path)
	if err != nil {
		t.Fatal(err)
	}
	fe, db := labels.Set{"app=frontend"}, labels.Set{"app=db"}
	idFE, _ := a.Acquire(fe)
	idDB, _ := a.Acquire(db)
	if again, _ := a.Acquire(fe); again != idFE {
		t.Fatalf("same labels got %d and %d", idFE, again)
	}
	if idFE < MinLocal || idDB == idFE {
		t.Fatalf("identities %d, %d: want distinct, >= %d", idFE, idDB, MinLocal)
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}

	// A restart: only the frontend comes back.
	b, err := NewAllocator(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Acquire(fe); got != idFE {
		t.Fatalf("frontend identity after restart = %d, want %d", got, idFE)
	}
	if err := b.Prune(); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Labels(idDB); ok {
		t.Error("the db identity was not pruned")
	}
	if ls, ok := b.Labels(World); !ok || ls.String() != "reserved:world" {
		t.Errorf("world labels = %v", ls)
	}
}

func TestReleaseFreesLastUser(t *testing.T) {
	a, _ := NewAllocator(filepath.Join(t.TempDir(), "ids.json"))
	s := labels.Set{"app=x"}
	id, _ := a.Acquire(s)
	a.Acquire(s)
	a.Release(id)
	if _, ok := a.Labels(id); !ok {
		t.Fatal("released while still used")
	}
	a.Release(id)
	if _, ok := a.Labels(id); ok {
		t.Fatal("not released after the last user")
	}
}
