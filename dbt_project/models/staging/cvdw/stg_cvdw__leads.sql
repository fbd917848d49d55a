-- One row per lead. CVDW sends `idlead` and `idempreendimento` as text here; the name, e-mail,
-- telephone, document, CEP and income of the person are not read (personal data stays in raw).
with

source as (

    {{ cvdw_source('leads') }}

),

renamed as (

    select
        conta,
        {{ cvdw_id('idlead') }} as idlead,
        idsituacao,
        {{ cvdw_text('situacao') }} as situacao,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        {{ cvdw_text('origem') }} as origem,
        {{ cvdw_text('origem_ultimo') }} as origem_ultimo,
        {{ cvdw_text('midia_original') }} as midia_original,
        {{ cvdw_text('midia_ultimo') }} as midia_ultimo,
        {{ cvdw_text('conversao_original') }} as conversao_original,
        {{ cvdw_text('conversao_ultimo') }} as conversao_ultimo,
        -- a lead interested in several developments lists them: the first is its development
        {{ cvdw_text('idempreendimento') }} as idempreendimento_lista,
        ({{ cvdw_id_list('idempreendimento') }})[1] as idempreendimento,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        idempreendimento_primeiro,
        idempreendimento_ultimo,
        idponto_venda,
        {{ cvdw_text('ponto_venda') }} as ponto_venda,
        idcorretor,
        {{ cvdw_text('corretor') }} as corretor,
        idimobiliaria,
        {{ cvdw_text('imobiliaria') }} as imobiliaria,
        idgestor,
        {{ cvdw_text('gestor') }} as gestor,
        idmotivo,
        {{ cvdw_text('motivo') }} as motivo,
        reserva as idreserva,
        idsituacao_anterior,
        {{ cvdw_text('nome_situacao_anterior_lead') }} as situacao_anterior,
        {{ cvdw_text('cidade') }} as cidade,
        {{ cvdw_text('estado') }} as estado,
        {{ cvdw_text('regiao') }} as regiao,
        score,
        {{ cvdw_timestamp('data_cancelamento') }} as data_cancelamento,
        {{ cvdw_text('motivo_cancelamento') }} as motivo_cancelamento,
        {{ cvdw_timestamp('data_ultima_interacao') }} as data_ultima_interacao,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idlead) *
    from renamed
    where idlead is not null
    order by conta, idlead, {{ cvdw_newest_first() }}

)

select * from final
