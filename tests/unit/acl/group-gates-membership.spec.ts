// JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups, ListGroups and
// FindCoordinator (single key and batched v4+) at every version.
import { Message } from "../../../assembly/codec/message";
import { newRequest } from "../../../assembly/codec/generated/index";
import { JoinGroupRequest } from "../../../assembly/codec/generated/JoinGroupRequest";
import { JoinGroupResponse } from "../../../assembly/codec/generated/JoinGroupResponse";
import { HeartbeatRequest } from "../../../assembly/codec/generated/HeartbeatRequest";
import { LeaveGroupRequest } from "../../../assembly/codec/generated/LeaveGroupRequest";
import { SyncGroupRequest } from "../../../assembly/codec/generated/SyncGroupRequest";
import { DescribeGroupsRequest } from "../../../assembly/codec/generated/DescribeGroupsRequest";
import { DescribeGroupsResponse, DescribeGroupsResponse_DescribedGroup } from "../../../assembly/codec/generated/DescribeGroupsResponse";
import { ListGroupsResponse, ListGroupsResponse_ListedGroup } from "../../../assembly/codec/generated/ListGroupsResponse";
import { FindCoordinatorRequest } from "../../../assembly/codec/generated/FindCoordinatorRequest";
import { FindCoordinatorResponse, FindCoordinatorResponse_Coordinator } from "../../../assembly/codec/generated/FindCoordinatorResponse";
import { gateRequest } from "../../../assembly/acl/gate";
import { Verdict } from "../../../assembly/acl/model";
import { allowing, deniedResponse, errorCodes, forwardedRequest, merged, roundTrip } from "./group-gate-helpers";

function groupRequest(apiKey: i16, group: string): Message {
  switch (apiKey) {
    case 11: { const r = new JoinGroupRequest(); r.groupId = group; r.memberId = "member-1"; return r; }
    case 12: { const r = new HeartbeatRequest(); r.groupId = group; return r; }
    case 13: { const r = new LeaveGroupRequest(); r.groupId = group; return r; }
    case 14: { const r = new SyncGroupRequest(); r.groupId = group; return r; }
  }
  return newRequest(apiKey)!;
}

describe("JoinGroup, Heartbeat, LeaveGroup, SyncGroup gates", () => {
  it("pass with Read on the group and answer GROUP_AUTHORIZATION_FAILED without it, at every version", () => {
    const keys: i16[] = [11, 12, 13, 14];
    const maxVersions: i16[] = [9, 4, 5, 5];
    for (let k = 0; k < keys.length; k++) {
      const apiKey = keys[k];
      for (let v: i16 = 0; v <= maxVersions[k]; v++) {
        const allowed = gateRequest(apiKey, v, groupRequest(apiKey, "app"), allowing())!;
        expect(allowed.verdict).toBe(Verdict.Pass);
        const response = deniedResponse(gateRequest(apiKey, v, groupRequest(apiKey, "locked-app"), allowing())!, v);
        expect(response !== null).toBe(true);
        expect(errorCodes(response!).startsWith("30")).toBe(true);
        if (apiKey == 11) {
          // Kafka's JoinGroupRequest.getErrorResponse: UNKNOWN_MEMBER_ID, not the client's id.
          const join = changetype<JoinGroupResponse>(response);
          expect(join.memberId).toBe("");
          expect(join.generationId).toBe(-1);
          if (v >= 7) expect(join.protocolName).toBeNull();
          else expect(join.protocolName).toBe("");
        }
      }
    }
  });
});

describe("DescribeGroups gate", () => {
  it("describes allowed groups and answers denied ones with 30, at every version", () => {
    for (let v: i16 = 0; v <= 6; v++) {
      const request = new DescribeGroupsRequest();
      request.groups.push("app");
      request.groups.push("locked-app");
      const result = gateRequest(15, v, request, allowing())!;
      const forwarded = forwardedRequest(result, v);
      expect(forwarded !== null).toBe(true);
      const sent = changetype<DescribeGroupsRequest>(forwarded);
      expect(sent.groups.length).toBe(1);
      expect(sent.groups[0]).toBe("app");
      const broker = new DescribeGroupsResponse();
      const app = new DescribeGroupsResponse_DescribedGroup();
      app.groupId = "app";
      broker.groups.push(app);
      const response = merged(result, broker, v);
      // Kafka lists refused groups first, before the coordinator's answers.
      expect(errorCodes(response!)).toBe("30,0");
      expect(changetype<DescribeGroupsResponse>(response).groups[0].groupId).toBe("locked-app");

      const alone = new DescribeGroupsRequest();
      alone.groups.push("locked-app");
      expect(errorCodes(deniedResponse(gateRequest(15, v, alone, allowing())!, v)!)).toBe("30");
    }
  });
});

describe("ListGroups gate", () => {
  it("passes untouched with Describe on the cluster, else quietly drops groups not describable", () => {
    for (let v: i16 = 0; v <= 5; v++) {
      const request = newRequest(16)!;
      const withCluster = allowing();
      withCluster.clusterAllowed = true;
      const open = gateRequest(16, v, request, withCluster)!;
      expect(open.verdict).toBe(Verdict.Pass);
      expect(open.merger === null).toBe(true);

      const authorizer = allowing();
      const result = gateRequest(16, v, request, authorizer)!;
      expect(result.verdict).toBe(Verdict.Pass);
      const broker = new ListGroupsResponse();
      const names = ["app", "locked-app", "other"];
      for (let i = 0; i < names.length; i++) {
        const g = new ListGroupsResponse_ListedGroup();
        g.groupId = names[i];
        broker.groups.push(g);
      }
      const response = changetype<ListGroupsResponse>(merged(result, broker, v));
      expect(response.groups.length).toBe(2);
      expect(response.groups[1].groupId).toBe("other");
      expect(response.errorCode).toBe(0);
      // The cluster question and the three groups: all quiet, as Kafka does not log them.
      expect(authorizer.quietQuestions).toBe(4);
    }
  });
});

describe("FindCoordinator gate", () => {
  it("answers a denied single key at the top level (v0-3)", () => {
    for (let v: i16 = 0; v <= 3; v++) {
      const request = new FindCoordinatorRequest();
      request.key = "locked-app";
      expect(gateRequest(10, v, request, allowing())!.verdict).toBe(Verdict.Deny);
      const response = changetype<FindCoordinatorResponse>(deniedResponse(gateRequest(10, v, request, allowing())!, v));
      expect(response.errorCode).toBe(30);
      expect(response.nodeId).toBe(-1);
      request.key = "app";
      expect(gateRequest(10, v, request, allowing())!.verdict).toBe(Verdict.Pass);
      if (v >= 1) {
        request.keyType = 1;
        request.key = "locked-txn";
        const txn = changetype<FindCoordinatorResponse>(deniedResponse(gateRequest(10, v, request, allowing())!, v));
        expect(txn.errorCode).toBe(53);
      }
    }
  });

  it("splits batched keys (v4+): allowed forwarded, denied answered per key", () => {
    for (let v: i16 = 4; v <= 6; v++) {
      for (let keyType: i8 = 0; keyType <= 1; keyType++) {
        const request = new FindCoordinatorRequest();
        request.keyType = keyType;
        request.coordinatorKeys.push("app");
        request.coordinatorKeys.push("locked-a");
        request.coordinatorKeys.push("locked-b");
        const result = gateRequest(10, v, request, allowing())!;
        const sent = changetype<FindCoordinatorRequest>(forwardedRequest(result, v));
        expect(sent.coordinatorKeys.length).toBe(1);
        expect(sent.coordinatorKeys[0]).toBe("app");
        const broker = new FindCoordinatorResponse();
        const app = new FindCoordinatorResponse_Coordinator();
        app.key = "app";
        broker.coordinators.push(app);
        const code = keyType == 0 ? "30" : "53";
        // The v0-3 top-level ErrorCode (default 0) is reported first.
        expect(errorCodes(merged(result, broker, v)!)).toBe("0,0," + code + "," + code);

        const denied = new FindCoordinatorRequest();
        denied.keyType = keyType;
        denied.coordinatorKeys.push("locked-a");
        expect(errorCodes(deniedResponse(gateRequest(10, v, denied, allowing())!, v)!)).toBe("0," + code);
      }
    }
  });

  it("leaves share keys to ClusterAction", () => {
    const request = new FindCoordinatorRequest();
    request.keyType = 2;
    request.coordinatorKeys.push("app:topic:0");
    expect(errorCodes(deniedResponse(gateRequest(10, 6, request, allowing())!, 6)!)).toBe("0,31");
    const withCluster = allowing();
    withCluster.clusterAllowed = true;
    expect(gateRequest(10, 6, request, withCluster)!.verdict).toBe(Verdict.Pass);
    expect(roundTrip(request, 6) !== null).toBe(true);
  });
});
