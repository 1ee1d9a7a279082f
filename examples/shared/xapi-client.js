/* A small xAPI client for the example modules: no library, no CDN, just fetch. */
(function (global) {
  "use strict";

  function uuid() {
    if (global.crypto && global.crypto.randomUUID) {
      return global.crypto.randomUUID();
    }
    var bytes = global.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* ISO 8601 duration with hundredths of a second, as xAPI recommends. */
  function isoDuration(milliseconds) {
    var seconds = Math.max(0, Math.round(milliseconds / 10) / 100);
    return "PT" + seconds.toFixed(2) + "S";
  }

  function launchParameters() {
    var params = {};
    new URLSearchParams(global.location.search).forEach(function (value, key) { params[key] = value; });
    return params;
  }

  function XAPIClient(endpoint, authorization, version) {
    this.endpoint = endpoint.replace(/\/?$/, "/");
    this.authorization = authorization;
    this.version = version || "1.0.3";
  }

  XAPIClient.prototype.request = function (method, resource, query, body, headers) {
    var url = this.endpoint + resource;
    var search = new URLSearchParams();
    Object.keys(query || {}).forEach(function (key) {
      if (query[key] !== undefined && query[key] !== null) { search.set(key, query[key]); }
    });
    if (search.toString()) { url += "?" + search.toString(); }
    var allHeaders = { "Authorization": this.authorization, "X-Experience-API-Version": this.version };
    Object.keys(headers || {}).forEach(function (key) { allHeaders[key] = headers[key]; });
    var init = { method: method, headers: allHeaders, credentials: "omit" };
    if (body !== undefined) {
      allHeaders["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      if (response.status === 404) { return null; }
      if (!response.ok) {
        return response.text().then(function (text) {
          throw new Error(method + " " + resource + " answered " + response.status + ": " + text);
        });
      }
      var type = response.headers.get("Content-Type") || "";
      return type.indexOf("application/json") === 0 ? response.json() : response.text();
    });
  };

  /* Statements go by PUT with their own id, as most real content does: a retry is harmless. */
  XAPIClient.prototype.sendStatement = function (statement) {
    statement.id = statement.id || uuid();
    statement.timestamp = statement.timestamp || new Date().toISOString();
    return this.request("PUT", "statements", { statementId: statement.id }, statement);
  };

  XAPIClient.prototype.stateQuery = function (activityId, agent, registration, stateId) {
    return { activityId: activityId, agent: JSON.stringify(agent), registration: registration || undefined, stateId: stateId };
  };

  XAPIClient.prototype.getState = function (activityId, agent, registration, stateId) {
    return this.request("GET", "activities/state", this.stateQuery(activityId, agent, registration, stateId));
  };

  XAPIClient.prototype.putState = function (activityId, agent, registration, stateId, value) {
    return this.request("PUT", "activities/state", this.stateQuery(activityId, agent, registration, stateId), value);
  };

  XAPIClient.prototype.getAgentProfile = function (agent, profileId) {
    return this.request("GET", "agents/profile", { agent: JSON.stringify(agent), profileId: profileId });
  };

  global.LeerpaspoortXAPI = {
    XAPIClient: XAPIClient,
    uuid: uuid,
    isoDuration: isoDuration,
    launchParameters: launchParameters
  };
})(window);
