// net_adapter.cpp - the DICOM network protocol through DCMTK's dcmnet
// (DcmSCU, DcmStorageSCP) behind the C interface of net_adapter.h.
//
// This is pulmo's second C++ file. It is separate from the GDCM adapter
// because it wraps a different library (DCMTK) for a different job (the
// wire, not files); GDCM's own networking (libgdcmMEXD) only reports a bool
// per operation, has no C-GET and no cancel, so it is not used here.
// DCMTK writes received objects itself; pulmo then reads them through GDCM
// like any folder.
#include "net_adapter.h"
extern "C" {
#include "pulmo/core.h"
}

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/dstorscp.h>
#include <dcmtk/dcmnet/scu.h>
#include <dcmtk/oflog/oflog.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

std::once_flag quiet_once;

// DCMTK logs warnings to stderr; pulmo reports through pm_fail, and the TUI
// must keep stderr off the screen.
void quiet()
{
    std::call_once(quiet_once, [] { OFLog::configure(OFLogger::OFF_LOG_LEVEL); });
}

std::string name_of(const pm_node *n)
{
    char b[300];
    return pm_net_name(n, b, sizeof b);
}

// Every transfer syntax that pulmo's GDCM reader decodes, so a node can
// send what it stores without converting it.
OFList<OFString> receive_syntaxes()
{
    OFList<OFString> ts;
    const char *uids[] = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
                          UID_BigEndianExplicitTransferSyntax, UID_JPEGProcess14SV1TransferSyntax,
                          UID_JPEGProcess14TransferSyntax, UID_JPEGLSLosslessTransferSyntax,
                          UID_JPEG2000LosslessOnlyTransferSyntax, UID_RLELosslessTransferSyntax};
    for (const char *u : uids)
        ts.push_back(u);
    return ts;
}

OFList<OFString> plain_syntaxes()
{
    OFList<OFString> ts;
    ts.push_back(UID_LittleEndianExplicitTransferSyntax);
    ts.push_back(UID_LittleEndianImplicitTransferSyntax);
    return ts;
}

const char *const ct_classes[] = {UID_CTImageStorage, UID_EnhancedCTImageStorage};

// Why the node rejected the association: DcmSCU keeps the reject
// parameters private, so ask once more with the bare ASC layer.
std::string reject_reason(const pm_node *n)
{
    T_ASC_Network *net = nullptr;
    T_ASC_Parameters *params = nullptr;
    T_ASC_Association *assoc = nullptr;
    std::string why = "no reason given";
    if (ASC_initializeNetwork(NET_REQUESTOR, 0, n->timeout, &net).bad())
        return why;
    if (ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU).good()) {
        char peer[300];
        snprintf(peer, sizeof peer, "%s:%d", n->host, n->port);
        ASC_setAPTitles(params, n->calling_aet, n->called_aet, nullptr);
        ASC_setPresentationAddresses(params, "localhost", peer);
        const char *ts[] = {UID_LittleEndianImplicitTransferSyntax};
        ASC_addPresentationContext(params, 1, UID_VerificationSOPClass, ts, 1);
        OFCondition c = ASC_requestAssociation(net, params, &assoc);
        if (c == DUL_ASSOCIATIONREJECTED) {
            T_ASC_RejectParameters rej;
            ASC_getRejectParameters(params, &rej);
            OFString s;
            ASC_printRejectParameters(s, &rej);
            why = s.c_str();
            for (char &ch : why)
                if (ch == '\n' || ch == '\r')
                    ch = ' ';
        } else if (c.good()) {
            ASC_releaseAssociation(assoc);
        }
        if (assoc)
            ASC_destroyAssociation(&assoc);
        else
            ASC_destroyAssociationParameters(&params);
    }
    ASC_dropNetwork(&net);
    return why;
}

// A failed condition as pulmo's status, naming the node and what it did.
int fail_cond(const pm_node *n, const char *what, const OFCondition &c)
{
    std::string node = name_of(n);
    if (c == DUL_ASSOCIATIONREJECTED)
        return pm_fail(PM_EREFUSED, "%s: association rejected (%s); pulmo called it as %s", node.c_str(),
                       reject_reason(n).c_str(), n->calling_aet);
    if (c == DUL_READTIMEOUT || c == DIMSE_NODATAAVAILABLE)
        return pm_fail(PM_ENET, "%s: %s: no answer within %d s", node.c_str(), what, n->timeout);
    if (c == NET_EC_NoAcceptablePresentationContexts)
        return pm_fail(PM_EREFUSED, "%s: %s: the node accepts none of the proposed SOP classes or "
                       "transfer syntaxes", node.c_str(), what);
    if (c == DUL_PEERABORTEDASSOCIATION)
        return pm_fail(PM_ENET, "%s: %s: the node aborted the association", node.c_str(), what);
    return pm_fail(PM_ENET, "%s: %s: %s", node.c_str(), what, c.text());
}

int fail_status(const pm_node *n, const char *what, Uint16 st, const char *text)
{
    return pm_fail(PM_EREFUSED, "%s: %s failed: DICOM status 0x%04x (%s)", name_of(n).c_str(), what,
                   (unsigned)st, text);
}

// DcmSCU with pulmo's callbacks for C-FIND rows, C-GET images and progress.
class Scu : public DcmSCU {
public:
    explicit Scu(const pm_node *n) : node(n)
    {
        quiet();
        setAETitle(n->calling_aet);
        setPeerAETitle(n->called_aet);
        setPeerHostName(n->host);
        setPeerPort((Uint16)n->port);
        setConnectionTimeout(n->timeout);
        setACSETimeout((Uint32)n->timeout);
        setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        setDIMSETimeout((Uint32)n->timeout);
        setProgressNotificationMode(OFFalse);
    }
    ~Scu() override
    {
        if (isConnected())
            abortAssociation();
    }

    int open(const char *what)
    {
        OFCondition c = initNetwork();
        if (c.good())
            c = negotiateAssociation();
        return c.good() ? PM_OK : fail_cond(node, what, c);
    }

    const pm_node *node;
    // C-FIND
    pm__net_row_fn row_fn = nullptr;
    void *user = nullptr;
    std::vector<DcmTagKey> keys;
    bool cancelled = false;
    // C-GET and C-MOVE
    pm__net_count_fn count_fn = nullptr;
    int received = 0, total = -1;

    OFCondition handleFINDResponse(const T_ASC_PresentationContextID presID, QRResponse *r,
                                   OFBool &more) override
    {
        OFCondition c = DcmSCU::handleFINDResponse(presID, r, more);
        if (r->m_status != STATUS_Pending && r->m_status != STATUS_FIND_Pending_WarningUnsupportedOptionalKeys)
            return c;
        if (!r->m_dataset || cancelled)
            return c;
        std::vector<OFString> vals(keys.size());
        std::vector<const char *> ptrs(keys.size());
        for (size_t i = 0; i < keys.size(); i++) {
            // A multi-valued answer (ModalitiesInStudy) comes whole.
            if (r->m_dataset->findAndGetOFStringArray(keys[i], vals[i]).bad())
                vals[i].clear();
            ptrs[i] = vals[i].c_str();
        }
        if (row_fn(user, ptrs.data())) {
            cancelled = true;
            sendCANCELRequest(presID);
        }
        return c;
    }

    int report(int remaining, int completed, int failed, int warning)
    {
        if (remaining >= 0)
            total = remaining + completed + failed + warning;
        if (count_fn && count_fn(user, received, total)) {
            cancelled = true;
            return 1;
        }
        return 0;
    }

    OFCondition handleCGETResponse(const T_ASC_PresentationContextID presID, RetrieveResponse *r,
                                   OFBool &more) override
    {
        OFCondition c = DcmSCU::handleCGETResponse(presID, r, more);
        if (report(r->m_numberOfRemainingSubops, r->m_numberOfCompletedSubops, r->m_numberOfFailedSubops,
                   r->m_numberOfWarningSubops))
            more = OFFalse;
        return c;
    }

    OFCondition handleSTORERequest(const T_ASC_PresentationContextID presID, DcmDataset *obj,
                                   OFBool &more, Uint16 &status) override
    {
        OFCondition c = DcmSCU::handleSTORERequest(presID, obj, more, status);
        if (c.good() && status == STATUS_Success)
            received++;
        if (report(-1, 0, 0, 0))
            more = OFFalse;
        return c;
    }

    OFCondition handleMOVEResponse(const T_ASC_PresentationContextID presID, RetrieveResponse *r,
                                   OFBool &more) override
    {
        OFCondition c = DcmSCU::handleMOVEResponse(presID, r, more);
        received = r->m_numberOfCompletedSubops;
        if (report(r->m_numberOfRemainingSubops, r->m_numberOfCompletedSubops, r->m_numberOfFailedSubops,
                   r->m_numberOfWarningSubops)) {
            sendCANCELRequest(presID);
            more = OFFalse;
        }
        return c;
    }
};

// pulmo's storage SCP for C-MOVE, listening until told to stop.
class MoveScp : public DcmStorageSCP {
public:
    mutable std::atomic<int> stored{0};
    std::atomic<bool> stop{false};

protected:
    OFBool stopAfterConnectionTimeout() override { return stop.load(); }
    OFBool stopAfterCurrentAssociation() override { return stop.load(); }
    void notifyInstanceStored(const OFString &, const OFString &, const OFString &,
                              DcmDataset *) const override
    {
        stored++;
    }
};

int list_results(const pm_node *n, const char *what, OFList<RetrieveResponse *> &rsp, int *failed,
                 const Scu &scu)
{
    Uint16 last = 0;
    for (RetrieveResponse *r : rsp) {
        last = r->m_status;
        *failed = r->m_numberOfFailedSubops;
    }
    for (RetrieveResponse *r : rsp)
        delete r;
    if (scu.cancelled)
        return pm_fail(PM_ECANCEL, "%s: %s cancelled", name_of(n).c_str(), what);
    if (rsp.empty())
        return pm_fail(PM_ENET, "%s: %s: no final answer", name_of(n).c_str(), what);
    if (last != STATUS_Success && last != STATUS_GET_Warning_SubOperationsCompleteOneOrMoreFailures)
        return fail_status(n, what, last, n->move_port ? DU_cmoveStatusString(last) : DU_cgetStatusString(last));
    return PM_OK;
}

} // namespace

extern "C" int pm__net_echo(const pm_node *n)
{
    try {
        Scu scu(n);
        scu.addPresentationContext(UID_VerificationSOPClass, plain_syntaxes());
        int rc = scu.open("C-ECHO");
        if (rc != PM_OK)
            return rc;
        OFCondition c = scu.sendECHORequest(0);
        if (c.bad())
            return fail_cond(n, "C-ECHO", c);
        scu.releaseAssociation();
        return PM_OK;
    } catch (const std::bad_alloc &) {
        return pm_fail(PM_EMEMORY, "out of memory");
    }
}

extern "C" int pm__net_find(const pm_node *n, const char *level, const pm__net_key *keys, int nkeys,
                            pm__net_row_fn fn, void *user)
{
    try {
        Scu scu(n);
        scu.addPresentationContext(UID_FINDStudyRootQueryRetrieveInformationModel, plain_syntaxes());
        int rc = scu.open("C-FIND");
        if (rc != PM_OK)
            return rc;
        DcmDataset q;
        q.putAndInsertString(DCM_QueryRetrieveLevel, level);
        scu.row_fn = fn;
        scu.user = user;
        for (int i = 0; i < nkeys; i++) {
            DcmTagKey k((Uint16)keys[i].group, (Uint16)keys[i].element);
            q.putAndInsertString(k, keys[i].value ? keys[i].value : "");
            scu.keys.push_back(k);
        }
        T_ASC_PresentationContextID pc =
            scu.findPresentationContextID(UID_FINDStudyRootQueryRetrieveInformationModel, "");
        OFList<QRResponse *> rsp;
        OFCondition c = scu.sendFINDRequest(pc, &q, &rsp);
        Uint16 last = 0;
        for (QRResponse *r : rsp) {
            last = r->m_status;
            delete r;
        }
        if (c.bad())
            return fail_cond(n, "C-FIND", c);
        if (!scu.cancelled && last != STATUS_Success)
            return fail_status(n, "C-FIND", last, DU_cfindStatusString(last));
        scu.releaseAssociation();
        return PM_OK;
    } catch (const std::bad_alloc &) {
        return pm_fail(PM_EMEMORY, "out of memory");
    }
}

extern "C" int pm__net_retrieve(const pm_node *n, const char *study_uid, const char *series_uid,
                                const char *dir, int expected, pm__net_count_fn fn, void *user,
                                int *received, int *failed)
{
    *received = *failed = 0;
    try {
        const bool move = n->move_port > 0;
        const char *model = move ? UID_MOVEStudyRootQueryRetrieveInformationModel
                                 : UID_GETStudyRootQueryRetrieveInformationModel;
        const char *what = move ? "C-MOVE" : "C-GET";
        Scu scu(n);
        scu.count_fn = fn;
        scu.user = user;
        scu.total = expected > 0 ? expected : -1;
        scu.addPresentationContext(model, plain_syntaxes());
        if (!move)
            for (const char *cls : ct_classes)
                scu.addPresentationContext(cls, receive_syntaxes(), ASC_SC_ROLE_SCP);
        scu.setStorageDir(dir);
        scu.setStorageMode(DCMSCU_STORAGE_DISK);

        MoveScp scp;
        std::thread listener;
        if (move) {
            scp.setPort((Uint16)n->move_port);
            scp.setAETitle(n->calling_aet);
            scp.setConnectionBlockingMode(DUL_NOBLOCK);
            scp.setConnectionTimeout(1);
            scp.setACSETimeout((Uint32)n->timeout);
            scp.setDIMSETimeout((Uint32)n->timeout);
            scp.setOutputDirectory(dir);
            scp.setDirectoryGenerationMode(DcmStorageSCP::DGM_NoSubdirectory);
            for (const char *cls : ct_classes)
                scp.addPresentationContext(cls, receive_syntaxes());
            // (A Verification context here makes DCMTK 3.6.7 call the profile
            // invalid; the node does not echo before a C-MOVE anyway.)
            OFCondition c = scp.getConfig().setAndCheckAssociationProfile("DEFAULT");
            if (c.good())
                c = scp.openListenPort();
            if (c.bad())
                return pm_fail(PM_ENET, "cannot listen on port %d for C-MOVE: %s", n->move_port, c.text());
            listener = std::thread([&scp] { scp.acceptAssociations(); });
        }
        auto stop = [&] {
            if (listener.joinable()) {
                scp.stop = true;
                listener.join();
            }
        };
        int rc = scu.open(what);
        if (rc != PM_OK) {
            stop();
            return rc;
        }
        DcmDataset q;
        q.putAndInsertString(DCM_QueryRetrieveLevel, "SERIES");
        q.putAndInsertString(DCM_StudyInstanceUID, study_uid);
        q.putAndInsertString(DCM_SeriesInstanceUID, series_uid);
        T_ASC_PresentationContextID pc = scu.findPresentationContextID(model, "");
        OFList<RetrieveResponse *> rsp;
        OFCondition c = move ? scu.sendMOVERequest(pc, n->calling_aet, &q, &rsp)
                             : scu.sendCGETRequest(pc, &q, &rsp);
        stop();
        if (move)
            scu.received = scp.stored.load();
        *received = scu.received;
        if (c.bad() && !scu.cancelled) {
            for (RetrieveResponse *r : rsp)
                delete r;
            return fail_cond(n, what, c);
        }
        rc = list_results(n, what, rsp, failed, scu);
        if (rc == PM_OK)
            scu.releaseAssociation();
        return rc;
    } catch (const std::bad_alloc &) {
        return pm_fail(PM_EMEMORY, "out of memory");
    } catch (const std::system_error &e) {
        return pm_fail(PM_EMEMORY, "cannot start the C-MOVE listener: %s", e.what());
    }
}

extern "C" int pm__net_store(const pm_node *n, char *const *files, int nfiles, pm__net_count_fn fn,
                             void *user, int *sent)
{
    *sent = 0;
    try {
        quiet();
        // Propose each file's own SOP class and transfer syntax, so nothing
        // is converted on the way.
        std::map<std::string, std::set<std::string>> classes;
        for (int i = 0; i < nfiles; i++) {
            DcmFileFormat ff;
            if (ff.loadFileUntilTag(files[i], EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect,
                                    DCM_PixelData).bad())
                continue;
            OFString cls;
            ff.getDataset()->findAndGetOFString(DCM_SOPClassUID, cls);
            if (cls.empty())
                continue;
            DcmXfer x(ff.getDataset()->getOriginalXfer());
            classes[cls.c_str()].insert(x.getXferID());
        }
        if (classes.empty())
            return pm_fail(PM_ENODATA, "no file to send has a SOP class");
        Scu scu(n);
        size_t ncontexts = 0;
        for (const auto &kv : classes) {
            for (const auto &ts : kv.second) {
                OFList<OFString> one;
                one.push_back(ts.c_str());
                scu.addPresentationContext(kv.first.c_str(), one);
                ncontexts++;
            }
            scu.addPresentationContext(kv.first.c_str(), plain_syntaxes());
            ncontexts++;
        }
        if (ncontexts > 127)
            return pm_fail(PM_EUSAGE, "too many kinds of files to send at once (%zu SOP class and "
                           "transfer syntax pairs)", ncontexts);
        int rc = scu.open("C-STORE");
        if (rc != PM_OK)
            return rc;
        int first = PM_OK;
        std::string first_msg;
        auto keep = [&](int e) {
            if (first == PM_OK) {
                first = e;
                first_msg = pm_error();
            }
        };
        for (int i = 0; i < nfiles; i++) {
            Uint16 st = 0;
            OFCondition c = scu.sendSTORERequest(0, files[i], nullptr, st);
            if (c.bad()) {
                int e = c == NET_EC_NoPresentationContextsDefined || c == NET_EC_NoAcceptablePresentationContexts
                            ? pm_fail(PM_EREFUSED, "%s: C-STORE of %s: the node accepts neither its SOP "
                                      "class nor its transfer syntax", name_of(n).c_str(), files[i])
                            : fail_cond(n, "C-STORE", c);
                keep(e);
                if (!scu.isConnected())
                    break;
            } else if (st != STATUS_Success && (st & 0xf000) != 0xb000) {
                char what[4200];
                snprintf(what, sizeof what, "C-STORE of %s", files[i]);
                keep(fail_status(n, what, st, DU_cstoreStatusString(st)));
            } else {
                (*sent)++;
            }
            if (fn && fn(user, i + 1, nfiles))
                return pm_fail(PM_ECANCEL, "%s: C-STORE cancelled after %d file(s)", name_of(n).c_str(), *sent);
        }
        if (scu.isConnected())
            scu.releaseAssociation();
        return first == PM_OK ? PM_OK : pm_fail(first, "%s", first_msg.c_str());
    } catch (const std::bad_alloc &) {
        return pm_fail(PM_EMEMORY, "out of memory");
    }
}
