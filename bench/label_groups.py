"""GoEmotions' coarse label sets as groupings of the fine one, used at prediction (measured, not built).

Reads each kept recipe model's every-label scores (`bin/mtl predict MODEL --input TEXTS --threshold 0
--output SCORES_DIR/SEED-SPLIT.jsonl`, dev and test texts) and combines the heads: a coarse
label's log-odds mixed (weight a) with the group probability its member emotions imply, and each
emotion's log-odds moved (weight b) by how far its Ekman head's group log-odds sit from that
implied probability. Thresholds are chosen on dev after combining, as `threshold: tune` does;
prints dev and test macro-F1 and Δm over the primary metrics against each seed's baselines.json.
docs/sharing.md, "Coarse heads and the fine one combined at prediction".
Usage: python3 bench/label_groups.py SCORES_DIR   (from the repository root; runs in runs/bench-recipe/goemotions)
"""
import json, numpy as np, sys
HIER = sys.argv[1] if len(sys.argv) > 1 else 'runs/label-groups'
D = '../shared/data/goemotions'   # run from the repository root
tasks={'sentiment':'group','ekman':'ekman','emotion':'original'}
labels={t:open(f'{D}/{d}/labels.txt').read().split('\n') for t,d in tasks.items()}
labels={t:[l for l in v if l] for t,v in labels.items()}
def gold(t,split):
    rows=[l.rstrip('\n').split('\t') for l in open(f'{D}/{tasks[t]}/{split}.tsv',encoding='utf-8',errors='replace')]
    Y=np.zeros((len(rows),len(labels[t])),bool)
    for i,r in enumerate(rows):
        for x in r[1].split(','): Y[i,int(x)]=True
    return Y
G={(t,s):gold(t,s) for t in tasks for s in ('dev','test')}
def scores(seed,split):
    out={t:[] for t in tasks}
    for line in open(f'{HIER}/{seed}-{split}.jsonl'):
        j=json.loads(line)
        for t in tasks: out[t].append([j[t]['scores'][l] for l in labels[t]])
    return {t:np.array(v,np.float64) for t,v in out.items()}
def best(s,y):
    P=y.sum()
    if P==0: return 0.5
    o=np.argsort(-s,kind='stable'); ss=s[o]; tp=np.cumsum(y[o]); k=np.arange(1,len(s)+1)
    bnd=np.r_[ss[1:]<ss[:-1],True]
    f=np.where(bnd,2*tp/(k+P),-1); b=int(np.argmax(f))  # first max = highest threshold
    return ss[b] if b==len(s)-1 else (ss[b]+ss[b+1])/2
def macro(S,Y,th):
    pred=S>=th; tp=(pred&Y).sum(0); fp=(pred&~Y).sum(0); fn=(~pred&Y).sum(0)
    d=2*tp+fp+fn; f=np.where(d>0,2*tp/np.maximum(d,1),0.0); return f.mean()
def evalt(Sd,Yd,St,Yt):
    th=np.array([best(Sd[:,j],Yd[:,j]) for j in range(Sd.shape[1])])
    return macro(Sd,Yd,th),macro(St,Yt,th)
# group maps
ek=json.load(open(f'{D}/ekman_mapping.json')); se=json.load(open(f'{D}/sentiment_dict.json'))
def groupmat(coarse,mapping):
    M=np.zeros((len(labels['emotion']),len(labels[coarse])))
    for ci,c in enumerate(labels[coarse]):
        members=mapping.get(c,[c] if c in labels['emotion'] else [])
        for m in members: M[labels['emotion'].index(m),ci]=1
    assert (M.sum(0)>0).all(), (coarse, M.sum(0))
    return M
M={'ekman':groupmat('ekman',ek),'sentiment':groupmat('sentiment',se)}
def implied(pe,Mc):  # P(any member) assuming independence
    return 1-np.exp(np.log(np.clip(1-pe,1e-7,1)) @ Mc)
lg=lambda p: np.log(np.clip(p,1e-7,1-1e-7))-np.log(np.clip(1-p,1e-7,1-1e-7))
sg=lambda z: 1/(1+np.exp(-z))
def combine(S,a,b):
    out=dict(S)
    for c in ('sentiment','ekman'):
        q=implied(S['emotion'],M[c])
        out[c]=sg((1-a)*lg(S[c])+a*lg(q))
    if b:
        # fine: shift each emotion's logit by b*(coarse group logit - implied group logit), ekman groups
        q=implied(S['emotion'],M['ekman']); g=M['ekman'].argmax(1)
        out['emotion']=sg(lg(S['emotion'])+b*(lg(S['ekman'])-lg(q))[:,g])
    return out
if __name__=='__main__':
    grid=[(a,b) for a in (0,0.25,0.5,0.75) for b in (0,0.25,0.5,0.75,1.0)]
    res={}
    for seed in (42,43,44,45,46):
        Sd=scores(seed,'dev'); St=scores(seed,'test')
        base=json.load(open(f'runs/bench-recipe/goemotions/seed-{seed}/single-task/baselines.json'))
        shipped=json.load(open(f'runs/bench-recipe/goemotions/seed-{seed}/recipe-stop-tasks/metrics.json'))
        for a,b in grid:
            cd,ct=combine(Sd,a,b),combine(St,a,b)
            r={t:evalt(cd[t],G[(t,'dev')],ct[t],G[(t,'test')]) for t in tasks}
            dm=np.mean([(r[t][1]-base['test'][t]['values']['macro_f1'])/base['test'][t]['values']['macro_f1'] for t in tasks])*100
            res[(seed,a,b)]=(r,dm)
        r,dm=res[(seed,0,0)]
        print(seed, 'test macro-F1 recomputed / as logged:', ' '.join('%s %.4f / %.4f' % (t, r[t][1], shipped['test'][t]['values']['macro_f1']) for t in tasks))
    for a,b in grid:
        dms=[res[(s,a,b)][1] for s in (42,43,44,45,46)]
        devm=np.mean([np.mean([res[(s,a,b)][0][t][0] for t in tasks]) for s in (42,43,44,45,46)])
        tm={t:np.mean([res[(s,a,b)][0][t][1] for s in (42,43,44,45,46)]) for t in tasks}
        print(a,b,'dev mean %.4f'%devm, 'test', ' '.join('%.4f'%tm[t] for t in tasks),'dm %.2f ± %.2f'%(np.mean(dms),np.std(dms,ddof=1)), ' '.join('%+.2f' % x for x in dms))
