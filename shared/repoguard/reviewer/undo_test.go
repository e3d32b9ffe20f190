package reviewer

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codegurureviewer"
	cgtypes "github.com/aws/aws-sdk-go-v2/service/codegurureviewer/types"

	"github.com/selfguard/selfguard/shared/shellcmd/shelltest"
)

// regional is the fake with the client's region, as a real client has.
type regional struct{ *fakeCodeGuru }

func (regional) Options() codegurureviewer.Options {
	return codegurureviewer.Options{Region: "eu-west-1"}
}

func TestCodeGuruUndoNamesTheAssociationAndTheRegion(t *testing.T) {
	c := NewCodeGuru(regional{&fakeCodeGuru{listed: []cgtypes.RepositoryAssociationState{"Associated"}}})
	st, err := c.Status(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	got := shelltest.Words(t, st.Undo)
	if len(got) != 1 || len(got[0]) < 7 || strings.Join(got[0][:3], " ") != "aws codeguru-reviewer disassociate-repository" ||
		!reflect.DeepEqual(got[0][len(got[0])-2:], []string{"--region", "eu-west-1"}) {
		t.Errorf("undo %q runs %q", st.Undo, got)
	}

	none, _ := NewCodeGuru(regional{&fakeCodeGuru{}}).Status(context.Background(), "pay ments")
	if strings.Count(none.Undo, "--region eu-west-1") != 2 || !strings.Contains(none.Undo, "--names 'pay ments'") {
		t.Errorf("lookup undo %q: want the region on both commands and the name quoted", none.Undo)
	}
}
